// Moved to src/task-db.ts (shared by racing and Betfair tasks); kept for src/worker.ts and bench/scale.ts,
// which import it from here.
export { holdTaskDatabase, skipCommitFlush, taskSql, withTaskDatabase } from '../task-db.ts';
