import type { TaskList } from 'graphile-worker';

// Every task identifier the kit's workers run. One file per task; each parses its payload with zod
// and hands over to library code in src/.
export const taskList: TaskList = {};
