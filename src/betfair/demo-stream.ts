// The demo's Betfair half: a small PRO-like archive for some of the simulated races already loaded (same
// courses, off times and horses, named as Betfair names them: no country suffix), imported and linked.

import { join } from 'node:path';
import type { Sql } from '../db.ts';
import { importStreamFile, type StreamImportCounts } from './ingest-stream.ts';
import { archiveMemberName, generateWinMarket, parseCadence, writeStreamTar } from './stream/index.ts';

const withoutSuffix = (name: string) => name.replace(/\s*\([^)]*\)\s*$/, '');

/** Writes `dir`/demo-stream.tar for the `races` latest loaded races with runners, then imports it. */
export async function demoStreamImport(
  sql: Sql,
  dir: string,
  races = 12,
): Promise<{ path: string; counts: StreamImportCounts }> {
  const rows = await sql<{ id: string; course: string; off_dt: Date; race_name: string; horses: string[] }[]>`
    select r.id, r.course, r.off_dt, r.race_name,
      array_agg(run.horse_name order by run.number nulls last, run.id) as horses
    from ra_mst_races r join ra_mst_runners run on run.race_id = r.id
    where r.off_dt is not null and r.course is not null and run.horse_name is not null
    group by r.id
    order by r.off_dt desc, r.id
    limit ${races}`;
  const members = rows.map((race, i) => {
    const marketId = `1.9${String(100000 + i).padStart(8, '0')}`;
    const options = {
      marketId,
      eventId: String(34000000 + i),
      marketTime: race.off_dt.toISOString(),
      runners: race.horses.length,
      names: race.horses.map(withoutSuffix),
      venue: withoutSuffix(race.course),
      name: race.race_name.slice(0, 30),
      seed: i + 1,
      preOffDeltas: 20,
      inPlayDeltas: 5,
      removedIndex: race.horses.length >= 3 ? 1 : null,
    };
    return {
      name: archiveMemberName('PRO', options.marketTime, options.eventId, marketId),
      lines: generateWinMarket(options),
      compression: 'bzip2' as const,
    };
  });
  const path = join(dir, 'demo-stream.tar');
  await writeStreamTar(path, members);
  const counts = await importStreamFile(sql, path, { cadence: parseCadence({ at: '-60m,-10m,-1m,0' }) });
  return { path, counts };
}

/** What the demo prints: link coverage, and the linked markets with their races. */
export async function betfairDemoViews(
  sql: Sql,
): Promise<{ view: string; rows: Record<string, unknown>[] }[]> {
  const coverage = await sql`select * from v_betfair_link_coverage`;
  const linked = await sql`
    select m.market_id, m.venue, to_char(m.market_time at time zone 'UTC', 'YYYY-MM-DD HH24:MI') as off_utc,
      r.course, r.race_name, l.method,
      (select count(*) from market_runners mr where mr.market_id = m.market_id)::int as runners,
      (select count(*) from betfair_runner_horses h where h.market_id = m.market_id)::int as horses_linked,
      (select count(*) from market_book_snapshots s where s.market_id = m.market_id)::int as snapshots
    from betfair_markets m
    join betfair_market_races l using (market_id)
    left join ra_mst_races r on r.id = l.race_id
    order by m.market_time, m.market_id`;
  return [
    { view: 'v_betfair_link_coverage', rows: [...coverage] },
    { view: 'Betfair markets linked to races', rows: [...linked] },
  ];
}
