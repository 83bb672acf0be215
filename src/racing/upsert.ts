// Bulk upserts: one statement per table per batch, each column shipped as one typed array parameter and
// zipped back into rows with unnest. On conflict every column becomes coalesce(new, old), so a source never
// blanks a column another source filled, and rows whose values do not change are not updated (updated_at
// stays; rows other transactions write too are not even locked, see upsertStatements).
//
// Why arrays and not one jsonb_to_recordset($1::jsonb) document: the server then parses the whole batch as
// jsonb and converts every field back to text for its type's input function; a typed array goes through the
// input function once. Measured on a date's 284 runners: ~20% less time per statement (see the commit log).

import type { Db } from '../db.ts';
import { arrayElement } from './array-literal.ts';
import { dedupeRows } from './dedupe.ts';
import type { Row } from './rows.ts';
import type { TableSpec } from './table-specs.ts';

const statementCache = new Map<string, string[]>();

/** Types shipped as a text array of literals and cast per row: arrays of arrays cannot be unnested. */
const isArrayType = (type: string) => type.endsWith('[]');

function upsertStatements(
  spec: TableSpec,
  columns: readonly string[],
  shared: boolean,
  exclusive: boolean,
): string[] {
  const cacheKey = `${spec.table}|${(spec.touch ?? []).join(',')}|${spec.yieldTo ? 'yield' : ''}|${shared}|${exclusive}|${columns.join(',')}`;
  const cached = statementCache.get(cacheKey);
  if (cached) return cached;
  const q = (c: string) => `"${c}"`;
  const type = (c: string) => spec.columns[c] ?? 'text';
  const touch = spec.touch ?? [];
  const nonKey = columns.filter((c) => !spec.key.includes(c));
  const insertCols = [...columns, ...touch].map(q).join(', ');
  const selectCols = [
    ...columns.map((c) => (isArrayType(type(c)) ? `x.${q(c)}::${type(c)}` : `x.${q(c)}`)),
    ...touch.map(() => 'now()'),
  ].join(', ');
  const arrays = columns.map((c, i) => `$${i + 1}::${isArrayType(type(c)) ? 'text' : type(c)}[]`).join(', ');
  const yieldTo = spec.yieldTo;
  // A column's value after the write, from the incoming row (`excluded`, or x of the unnest with the array
  // columns cast) and the stored one (t).
  const mergedFrom = (neu: 'excluded' | 'x') =>
    nonKey.map((c) => {
      const v = neu === 'x' && isArrayType(type(c)) ? `x.${q(c)}::${type(c)}` : `${neu}.${q(c)}`;
      return yieldTo?.columns.includes(c)
        ? `case when ${yieldTo.guard} then coalesce(t.${q(c)}, ${v}) else coalesce(${v}, t.${q(c)}) end`
        : `coalesce(${v}, t.${q(c)})`;
    });
  const merged = mergedFrom('excluded');
  const stored = nonKey.map((c) => `t.${q(c)}`).join(', ');
  // The WHERE only runs for rows that conflict; inserts never pay for the comparison.
  const onConflict =
    nonKey.length === 0
      ? 'do nothing'
      : `do update set ${[
          ...nonKey.map((c, i) => `${q(c)} = ${merged[i]}`),
          ...touch.map((c) => `${q(c)} = excluded.${q(c)}`),
          ...(spec.stamped ? ['"updated_at" = now()'] : []),
        ].join(', ')}
       where (${stored}) is distinct from (${merged.join(', ')})`;
  // Rows already stored with the values the write would leave are left out before the insert: ON CONFLICT
  // DO UPDATE locks the row it finds even when its WHERE is false, so two dates' transactions that carry the
  // same unchanged jockey or course would otherwise wait for each other's commit. The ON CONFLICT stays for
  // the rows this snapshot does not see yet. A correlated scalar subquery, not NOT EXISTS: the planner turns
  // that into an anti-join that may scan the whole table; this is one key lookup per row. Rows no other
  // transaction writes (`exclusive`) skip it: nobody waits for their locks, and the lookup was a third of
  // the time of a racecard date's ~10,000 odds rows, almost all new.
  const keyMatch = spec.key.map((k) => `t.${q(k)} = x.${q(k)}`).join(' and ');
  const sameAsStored =
    nonKey.length === 0 ? 'true' : `(${stored}) is not distinct from (${mergedFrom('x').join(', ')})`;
  const unchanged = `coalesce((select ${sameAsStored} from ${spec.table} t where ${keyMatch}), false)`;
  const rowsOf = `unnest(${arrays}) as x(${columns.map(q).join(', ')})`;
  // A shared write runs as a statement of its own (autocommit): its commit need not wait for the WAL flush,
  // for the same reason as a date's transaction (task-db.ts skipCommitFlush): the job's completion is
  // committed later with the flush, and the WAL is written in order.
  const noFlush = shared ? `, (select set_config('synchronous_commit', 'off', true)) no_flush` : '';
  const insert = (conflict: string) => `
    with written as (
      insert into ${spec.table} as t (${insertCols})
      select ${selectCols} from ${rowsOf}
      ${exclusive ? '' : `where not ${unchanged}`}
      on conflict (${spec.key.map(q).join(', ')}) ${conflict}
      returning (xmax = 0) as inserted
    )
    select count(*) filter (where inserted)::int as inserted,
           count(*) filter (where not inserted)::int as updated
    from written${noFlush}`;
  let statements: string[];
  if (!shared || nonKey.length === 0) {
    statements = [insert(onConflict)];
  } else {
    // Shared rows (an entity many concurrent dates carry): ON CONFLICT DO UPDATE would lock the row it
    // finds until this transaction commits even when nothing changes, and the next date's transaction would
    // wait for this one, the one after it for that one, and so on. DO NOTHING takes no lock; a second
    // statement (a snapshot that sees rows committed meanwhile) then updates only the rows really changed.
    const fromX = mergedFrom('x');
    statements = [
      insert('do nothing'),
      `
    with written as (
      update ${spec.table} as t set ${[
        ...nonKey.map((c, i) => `${q(c)} = ${fromX[i]}`),
        ...touch.map((c) => `${q(c)} = now()`),
        ...(spec.stamped ? ['"updated_at" = now()'] : []),
      ].join(', ')}
      from ${rowsOf}
      where ${keyMatch} and (${stored}) is distinct from (${fromX.join(', ')})
      returning 1
    )
    select 0 as inserted, count(*)::int as updated from written${noFlush}`,
    ];
  }
  statementCache.set(cacheKey, statements);
  return statements;
}

/** The statement's parameters: one array literal per column, rows in the same order in every array. */
function columnArrays(spec: TableSpec, columns: readonly string[], rows: readonly Row[]): string[] {
  return columns.map((c) => {
    const arrayColumn = isArrayType(spec.columns[c] ?? 'text');
    const elements = new Array<string>(rows.length);
    for (let i = 0; i < rows.length; i++) elements[i] = arrayElement(rows[i]?.[c], arrayColumn);
    return `{${elements.join(',')}}`;
  });
}

export interface UpsertCount {
  rows: number;
  inserted: number;
  updated: number;
}

/** Rows per statement: keeps each array parameter to a few MB. */
const CHUNK_ROWS = 5000;

/**
 * Upsert rows into one table: only the columns present in the rows are written.
 *
 * The statements are sent at call time (`execute()`), before this returns: calls made one after another
 * without awaiting in between reach the server in call order and run there in that order on one
 * connection (postgres.js pipelines them), so a caller can send a whole date's tables without waiting a
 * round trip per table and still write entities before the runners that reference them.
 */
export interface UpsertOptions {
  /**
   * Rows that concurrent transactions write too (entities many dates carry): written without holding a lock
   * on rows that do not change (see upsertStatements).
   */
  shared?: boolean;
  /**
   * Rows no concurrent transaction writes (a date's odds: one job per date). Sent in page order and without
   * the look-up that keeps unchanged rows unlocked (see upsertStatements). Otherwise (default) rows are
   * sorted by key: two transactions writing some of the same rows lock them in one order and cannot deadlock.
   */
  exclusive?: boolean;
}

export function upsertRows(
  db: Db,
  spec: TableSpec,
  rows: readonly Row[],
  { shared = false, exclusive = false }: UpsertOptions = {},
): Promise<UpsertCount> {
  const unique = dedupeRows(rows, spec.key, !exclusive);
  const count: UpsertCount = { rows: unique.length, inserted: 0, updated: 0 };
  if (unique.length === 0) return Promise.resolve(count);
  // The table's columns that some row carries (usually the first row already does).
  const columns = Object.keys(spec.columns).filter((c) => unique.some((row) => row[c] !== undefined));
  for (const k of spec.key)
    if (!columns.includes(k)) return Promise.reject(new Error(`${spec.table}: rows without key column ${k}`));
  const statements = upsertStatements(spec, columns, shared, exclusive);
  const sent = [];
  for (let i = 0; i < unique.length; i += CHUNK_ROWS) {
    const parameters = columnArrays(spec, columns, unique.slice(i, i + CHUNK_ROWS));
    // Prepared: the statement text is fixed per table and column set, so the server parses it once per
    // connection instead of once per page.
    for (const statement of statements)
      sent.push(
        db
          .unsafe<{ inserted: number; updated: number }[]>(statement, parameters, { prepare: true })
          .execute(),
      );
  }
  return Promise.all(sent).then((results) => {
    for (const [result] of results) {
      count.inserted += result?.inserted ?? 0;
      count.updated += result?.updated ?? 0;
    }
    return count;
  });
}
