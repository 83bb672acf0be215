import type { Row } from './rows.ts';

/**
 * One row per key, later rows winning column by column (a later null/absent value does not erase an earlier
 * known one, matching the coalesce on conflict). Two rows with one key in a statement would fail with
 * "ON CONFLICT DO UPDATE command cannot affect row a second time".
 */
export function dedupeRows(rows: readonly Row[], key: readonly string[], ordered = true): Row[] {
  const byKey = new Map<string, Row>();
  // Rows are copied only when a later one is merged into them (most keys appear once): the caller's rows
  // are never changed.
  const merged = new Set<Row>();
  const [only] = key;
  for (const row of rows) {
    const k = key.length === 1 && only ? String(row[only]) : key.map((c) => String(row[c])).join('\u0000');
    let previous = byKey.get(k);
    if (!previous) {
      byKey.set(k, row);
      continue;
    }
    if (!merged.has(previous)) {
      previous = { ...previous };
      merged.add(previous);
      byKey.set(k, previous);
    }
    for (const c in row) if (row[c] !== null && row[c] !== undefined) previous[c] = row[c];
  }
  // Key order (`ordered`): concurrent jobs sharing entities (jockeys, courses, horses) then lock rows in the
  // same order and cannot deadlock each other. Rows only one date carries (odds) need no order.
  if (!ordered) return [...byKey.values()];
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}
