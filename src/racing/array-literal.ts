// PostgreSQL array literals for the upsert's column parameters ('{"a","b",NULL}'), one per column.

/**
 * One value as an element of a PostgreSQL array literal. Values are what JSON.stringify would have sent:
 * non-finite numbers become NULL, Dates their ISO text, objects and arrays their JSON (for jsonb) or, for
 * array-typed columns, their own array literal (cast per row).
 */
export function arrayElement(value: unknown, arrayColumn: boolean): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : 'NULL';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  let s: string;
  if (typeof value === 'string') s = value;
  else if (value instanceof Date) s = value.toISOString();
  else if (arrayColumn && Array.isArray(value)) s = arrayLiteral(value, false);
  else s = JSON.stringify(value);
  return `"${NEEDS_ESCAPE.test(s) ? s.replace(ESCAPED, '\\$&') : s}"`;
}

// Backslashes and double quotes are escaped inside a quoted element; most values have neither.
const NEEDS_ESCAPE = /[\\"]/;
const ESCAPED = /[\\"]/g;

export function arrayLiteral(values: readonly unknown[], arrayColumn: boolean): string {
  return `{${values.map((v) => arrayElement(v, arrayColumn)).join(',')}}`;
}
