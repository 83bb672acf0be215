// Disk size of every kit table (the tables of the public schema, where the migrations put them), for
// `npm run status` and the report: raw_responses is kept forever, so its growth should stay visible.

import type { Db } from '../db.ts';

export interface TableSize {
  table: string;
  /** Table, indexes and TOAST together (pg_total_relation_size). */
  bytes: number;
}

export async function kitTableSizes(sql: Db): Promise<TableSize[]> {
  return [
    ...(await sql<TableSize[]>`
    select c.relname as table, pg_total_relation_size(c.oid)::float8 as bytes
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = 'public' and c.relkind in ('r', 'p')
    order by pg_total_relation_size(c.oid) desc, c.relname`),
  ];
}

/** 1234567 -> '1.2 MB'. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'kB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit++;
  }
  return `${unit === 0 ? value : value.toFixed(1)} ${units[unit]}`;
}
