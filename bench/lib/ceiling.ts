// The database's own ceiling for writing runner rows: the same rows the pipeline stored, loaded with a
// plain COPY into a temporary table plus one INSERT … SELECT … ON CONFLICT into ra_mst_runners, in one
// transaction, after the entities and races exist (the runners' foreign keys are checked as usual).
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Sql } from '../../src/db.ts';
import { RUNNERS } from '../../src/racing/table-specs.ts';
import { backendCpuMs, cpuSince } from './measure.ts';

/** The runner columns the kit writes (constants from the kit's table spec, safe to quote). */
const COLUMNS = Object.keys(RUNNERS.columns);
const KEY = RUNNERS.key;
const q = (c: string) => `"${c}"`;

export interface Ceiling {
  rows: number;
  ms: number;
  copyMs: number;
  /** CPU of the timed part: this process (encoding, sending) and the database's backends. */
  cpu: { nodeMs: number; postgresMs: number };
}

/** Copies ra_mst_runners out (COPY text), empties it, and times COPY + INSERT … ON CONFLICT of the same rows. */
export async function copyCeiling(sql: Sql): Promise<Ceiling> {
  const cols = COLUMNS.map(q).join(', ');
  const chunks: Buffer[] = [];
  const out = await sql
    .unsafe(`copy (select ${cols} from ra_mst_runners order by race_id, horse_id) to stdout`)
    .readable();
  for await (const chunk of out) chunks.push(chunk as Buffer);
  const [before] = await sql<{ n: number }[]>`select count(*)::int as n from ra_mst_runners`;
  await sql`truncate ra_mst_runners`;
  await sql`vacuum analyze ra_mst_runners`;
  const backendsBefore = await backendCpuMs(sql);
  const nodeBefore = process.cpuUsage();
  const started = performance.now();
  let copyMs = 0;
  await sql.begin(async (tx) => {
    await tx.unsafe(
      `create temp table runners_stage (like ra_mst_runners including defaults) on commit drop`,
    );
    const writable = await tx.unsafe(`copy runners_stage (${cols}) from stdin`).writable();
    await pipeline(Readable.from(chunks), writable);
    copyMs = performance.now() - started;
    const set = COLUMNS.filter((c) => !KEY.includes(c))
      .map((c) => `${q(c)} = excluded.${q(c)}`)
      .join(', ');
    await tx.unsafe(
      `insert into ra_mst_runners (${cols}) select ${cols} from runners_stage
       on conflict (${KEY.map(q).join(', ')}) do update set ${set}`,
    );
  });
  const ms = performance.now() - started;
  const node = process.cpuUsage(nodeBefore);
  const cpu = {
    nodeMs: (node.user + node.system) / 1000,
    postgresMs: cpuSince(backendsBefore, await backendCpuMs(sql)),
  };
  const [after] = await sql<{ n: number }[]>`select count(*)::int as n from ra_mst_runners`;
  if (after?.n !== before?.n) throw new Error(`ceiling stored ${after?.n} runners, expected ${before?.n}`);
  return { rows: after?.n ?? 0, ms, copyMs, cpu };
}
