import Table from 'cli-table3';

type Row = Record<string, unknown>;

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/** Rows from SQL as a terminal table, columns in result order; an empty result says so. */
export function renderTable(title: string, rows: readonly Row[]): string {
  const first = rows[0];
  if (!first) return `${title}\n  (no rows)`;
  const head = Object.keys(first);
  const table = new Table({
    head,
    style: { head: [], border: [] },
    chars: { mid: '', 'left-mid': '', 'mid-mid': '', 'right-mid': '' },
  });
  for (const row of rows) table.push(head.map((h) => cell(row[h])));
  return `${title}\n${table.toString()}`;
}
