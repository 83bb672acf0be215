// One batch of a ladder backfill: the fill under a savepoint, split in halves around failing snapshots.
import type { Tx } from '../db.ts';
import type { BatchProgress as BatchCounts } from './backfill-runs.ts';
import { fillSql, idArray } from './backfill-sql.ts';

function addInto(target: Record<string, number>, source: Record<string, number>) {
  for (const [k, v] of Object.entries(source)) target[k] = (target[k] ?? 0) + v;
}

/** Carries a dry run's counts out of the savepoint it rolls back. */
class RolledBack extends Error {
  readonly row:
    | { scanned: number; created: number; filled: Record<string, number>; skipped: Record<string, number> }
    | undefined;
  constructor(row: RolledBack['row']) {
    super('dry run: rolled back');
    this.row = row;
  }
}

export const firstLine = (error: unknown) =>
  ((error as Error)?.message ?? String(error)).split('\n')[0] ?? '';

/**
 * Whether an error is a row's own fault: a data exception (SQLSTATE class 22: bad value, overflow, invalid
 * text) or an integrity violation (23). Anything else (an undefined function, a lost connection, a statement
 * timeout, permission denied, an administrator's shutdown, a driver error without a SQLSTATE) would fail
 * every row alike, so it fails the run instead of being counted against rows.
 */
export function isRowError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^2[23][0-9A-Z]{3}$/.test(code);
}

/**
 * One batch inside the caller's transaction. The fill runs under a savepoint: a dry run rolls it back
 * (so it reports exactly what the same SQL would change), and a batch failing on a row's data is retried
 * in halves down to single rows, so one bad snapshot is counted as an error instead of stopping the run.
 * Any other error is thrown (isRowError).
 */
export async function fillBatch(
  tx: Tx,
  ids: number[],
  cols: readonly string[],
  dryRun: boolean,
): Promise<BatchCounts> {
  const sql = fillSql(cols);
  const counts: BatchCounts = { scanned: 0, created: 0, filled: {}, skipped: {}, errors: 0, lastError: null };
  type Row = {
    scanned: number;
    created: number;
    filled: Record<string, number>;
    skipped: Record<string, number>;
  };
  const attempt = async (part: number[]) => {
    try {
      const row = await tx.savepoint(async (sp) => {
        const [result] = await sp.unsafe<Row[]>(sql, [idArray(part)]);
        if (dryRun) throw new RolledBack(result);
        return result;
      });
      add(row);
      return true;
    } catch (error) {
      if (error instanceof RolledBack) {
        add(error.row);
        return true;
      }
      // Not a row's fault: the batch's transaction fails, the run stays at its last committed batch.
      if (!isRowError(error)) throw error;
      if (part.length === 1) {
        counts.scanned += 1;
        counts.errors += 1;
        counts.lastError = `snapshot ${part[0]}: ${firstLine(error)}`;
      }
      return false;
    }
  };
  const add = (row: Row | undefined) => {
    if (!row) return;
    counts.scanned += row.scanned;
    counts.created += row.created;
    addInto(counts.filled, row.filled);
    addInto(counts.skipped, row.skipped);
  };
  // A failing part is split in halves until the bad snapshots stand alone: one bad row in a batch of 5,000
  // costs ~25 statements instead of 5,000.
  const fill = async (part: number[]): Promise<void> => {
    if ((await attempt(part)) || part.length === 1) return;
    const half = Math.ceil(part.length / 2);
    await fill(part.slice(0, half));
    await fill(part.slice(half));
  };
  await fill(ids);
  return counts;
}
