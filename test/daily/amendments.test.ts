import { describe, expect, test } from 'vitest';
import { addDays } from '../../src/racing/dates.ts';
import { loadCoverage } from '../../src/report/coverage.ts';
import { renderReportHtml } from '../../src/report/html.ts';
import { describeAmendedToday, readStatus } from '../../src/status.ts';
import { drainQueue } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { addJob, useSimulator } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
const TODAY = '2025-06-11';
const YESTERDAY = addDays(TODAY, -1);
const env = useSimulator({ racesPerDayScale: 0.05, today: TODAY });
const drain = () => drainQueue({ connectionString: db.url, concurrency: 2, noHandleSignals: true });
const CRON = { ts: `${TODAY}T06:30:00.000Z`, backfilled: false };

/** One scheduled round: yesterday's results and today's racecards, as the crontab's jobs would queue them. */
async function scheduledRound() {
  await addJob(db.sql, 'daily_results', { days: 1, enrich: false, _cron: CRON });
  await addJob(db.sql, 'daily_racecards', { days_ahead: 0, enrich: false, _cron: CRON });
  await drain();
}

type Page = Record<string, unknown>;
type Item = { race_id: string; runners: Array<Record<string, unknown>> };

const amendments = () => db.sql`
  select source, date::text, races_changed, runners_changed, runners_removed, runners_restored
  from date_amendments order by source, id`;

describe('a re-fetched date that changed', () => {
  let resultRace = '';
  let placed: { race_id: string; horse_id: string; position: string }[] = [];
  let cardRace = '';
  let scratched = '';

  test('a first round loads both dates and records no amendment', async () => {
    await scheduledRound();
    placed = [
      ...(await db.sql<{ race_id: string; horse_id: string; position: string }[]>`
        select u.race_id, u.horse_id, u.position from ra_mst_runners u join ra_mst_races r on r.id = u.race_id
        where r.date = ${YESTERDAY} and u.position in ('1', '2') order by u.race_id, u.position limit 2`),
    ];
    expect(placed.map((p) => p.position)).toEqual(['1', '2']);
    resultRace = placed[0]?.race_id ?? '';
    const [card] = await db.sql<{ race_id: string; horse_id: string }[]>`
      select u.race_id, u.horse_id from ra_mst_runners u join ra_mst_races r on r.id = u.race_id
      where r.date = ${TODAY} order by u.race_id, u.horse_id limit 1`;
    cardRace = card?.race_id ?? '';
    scratched = card?.horse_id ?? '';
    expect(await amendments()).toEqual([]);
  });

  test('shows the changed positions and SP, and marks the non-runner taken off the card', async () => {
    // The stewards swap the first two home and the winner's SP is corrected; a horse is taken off a card.
    env.sim.editPages((endpoint, page: Page) => {
      if (endpoint === 'results') {
        for (const race of page.results as Item[]) {
          if (race.race_id !== resultRace) continue;
          for (const runner of race.runners) {
            if (runner.position === '1')
              Object.assign(runner, { position: '2', sp: '100/1', sp_dec: '101.00' });
            else if (runner.position === '2') runner.position = '1';
          }
        }
      } else {
        for (const race of page.racecards as Item[])
          if (race.race_id === cardRace) race.runners = race.runners.filter((r) => r.horse_id !== scratched);
      }
    });
    await scheduledRound();

    const [first, second] = placed;
    if (!first || !second) throw new Error('the first round found no placed runners');
    const now = await db.sql`
      select horse_id, position, sp, sp_dec::float8 as sp_dec from ra_mst_runners
      where race_id = ${resultRace} and horse_id in (${first.horse_id}, ${second.horse_id}) order by position`;
    expect(now).toEqual([
      { horse_id: second.horse_id, position: '1', sp: expect.any(String), sp_dec: expect.any(Number) },
      { horse_id: first.horse_id, position: '2', sp: '100/1', sp_dec: 101 },
    ]);
    const card = await db.sql<{ horse_id: string; removed: boolean }[]>`
      select horse_id, removed_at is not null as removed from ra_mst_runners where race_id = ${cardRace}`;
    expect(card.filter((r) => r.removed).map((r) => r.horse_id)).toEqual([scratched]);
    expect(card.length).toBeGreaterThan(1);

    expect(await amendments()).toEqual([
      {
        source: 'racecards',
        date: TODAY,
        races_changed: 0,
        runners_changed: 0,
        runners_removed: 1,
        runners_restored: 0,
      },
      {
        source: 'results',
        date: YESTERDAY,
        races_changed: 0,
        runners_changed: 2,
        runners_removed: 0,
        runners_restored: 0,
      },
    ]);
    const status = await readStatus(db.sql);
    expect(describeAmendedToday(status.amendedToday)).toBe('2 dates amended today (racecards 1, results 1)');
  });

  test('the same pages again change nothing and record nothing', async () => {
    await scheduledRound();
    expect(await amendments()).toHaveLength(2);
  });

  test('a runner back on the card loses its mark, and that is recorded too', async () => {
    env.sim.editPages(undefined);
    await scheduledRound();
    const [back] = await db.sql`
      select removed_at from ra_mst_runners where race_id = ${cardRace} and horse_id = ${scratched}`;
    expect(back?.removed_at).toBeNull();
    const rows = await amendments();
    expect(rows.map((r) => [r.source, r.runners_changed, r.runners_removed, r.runners_restored])).toEqual([
      ['racecards', 0, 1, 0],
      ['racecards', 0, 0, 1],
      ['results', 2, 0, 0],
      ['results', 2, 0, 0],
    ]);
  });
});

test("a card's non-runners absent from the first result are not marked: cards and results load alike in either order", async () => {
  const date = addDays(TODAY, -5);
  // The simulator's cards list starters only: add a declared runner that the result will not list.
  env.sim.editPages((endpoint, page: Page) => {
    const [race] = endpoint === 'racecards' ? (page.racecards as Item[]) : [];
    const runner = race?.runners[0];
    if (runner)
      race.runners.push({ ...runner, horse_id: 'hrs_999999991', horse: 'Late Scratch', number: '99' });
  });
  await addJob(db.sql, 'fetch_racecards_day', { date, enrich: false });
  await drain();
  env.sim.editPages(undefined);
  await addJob(db.sql, 'fetch_results_day', { date, enrich: false });
  await drain();
  const [row] = await db.sql`
    select count(*) filter (where u.position is null)::int as without_result,
           count(*) filter (where u.removed_at is not null)::int as marked
    from ra_mst_runners u join ra_mst_races r on r.id = u.race_id where r.date = ${date}`;
  expect(row?.without_result).toBeGreaterThan(0);
  expect(row?.marked).toBe(0);
});

test('a re-fetched card leaves no odds it no longer lists: a bookmaker dropped, a runner taken off', async () => {
  const date = addDays(TODAY, 2);
  await addJob(db.sql, 'fetch_racecards_day', { date, enrich: false });
  await drain();
  // A runner priced by several bookmakers, one of them with a price history, and another runner of its race.
  const [priced] = await db.sql<{ race_id: string; horse_id: string; bookmaker: string }[]>`
    select o.race_id, o.horse_id, o.bookmaker from ra_runner_odds o join ra_mst_races r on r.id = o.race_id
    where r.date = ${date}
      and exists (select from ra_runner_odds_history h
                  where (h.race_id, h.horse_id, h.bookmaker) = (o.race_id, o.horse_id, o.bookmaker))
      and (select count(*) from ra_runner_odds p where (p.race_id, p.horse_id) = (o.race_id, o.horse_id)) > 1
    order by o.race_id, o.horse_id, o.bookmaker limit 1`;
  if (!priced) throw new Error('the simulator priced no runner with history');
  const [other] = await db.sql<{ horse_id: string }[]>`
    select distinct horse_id from ra_runner_odds where race_id = ${priced.race_id} and horse_id <> ${priced.horse_id}
    order by horse_id limit 1`;
  if (!other) throw new Error('a race of one priced runner');
  const oddsOf = (horseId: string) => db.sql<{ bookmaker: string }[]>`
    select bookmaker from ra_runner_odds where race_id = ${priced.race_id} and horse_id = ${horseId} order by 1`;
  const historyOf = (horseId: string, bookmaker: string) => db.sql`
    select changed_at from ra_runner_odds_history
    where race_id = ${priced.race_id} and horse_id = ${horseId} and bookmaker = ${bookmaker}`;
  const before = (await oddsOf(priced.horse_id)).map((o) => o.bookmaker);
  // Every price of the race except the dropped bookmaker's and the removed runner's: it must stay as it was.
  const keptHistory = () => db.sql`
    select horse_id, bookmaker, changed_at, decimal from ra_runner_odds_history
    where race_id = ${priced.race_id} and horse_id <> ${other.horse_id}
      and (horse_id, bookmaker) <> (${priced.horse_id}, ${priced.bookmaker})
    order by 1, 2, 3`;
  const historyBefore = await keptHistory();
  expect(historyBefore.length).toBeGreaterThan(0);

  env.sim.editPages((endpoint, page: Page) => {
    if (endpoint !== 'racecards') return;
    for (const race of page.racecards as Item[]) {
      if (race.race_id !== priced.race_id) continue;
      race.runners = race.runners.filter((r) => r.horse_id !== other.horse_id);
      for (const r of race.runners)
        if (r.horse_id === priced.horse_id)
          r.odds = (r.odds as Array<{ bookmaker: string }>).filter((o) => o.bookmaker !== priced.bookmaker);
    }
  });
  try {
    await addJob(db.sql, 'fetch_racecards_day', { date, enrich: false, force: true });
    await drain();
  } finally {
    env.sim.editPages(undefined);
  }
  expect((await oddsOf(priced.horse_id)).map((o) => o.bookmaker)).toEqual(
    before.filter((b) => b !== priced.bookmaker),
  );
  expect(await historyOf(priced.horse_id, priced.bookmaker)).toEqual([]);
  expect(await keptHistory()).toEqual(historyBefore);
  expect(await oddsOf(other.horse_id)).toEqual([]);
  const [left] = await db.sql`
    select count(*)::int as n from ra_runner_odds_history where race_id = ${priced.race_id} and horse_id = ${other.horse_id}`;
  expect(left?.n).toBe(0);
  const [runner] = await db.sql`
    select removed_at is not null as removed from ra_mst_runners
    where race_id = ${priced.race_id} and horse_id = ${other.horse_id}`;
  expect(runner?.removed).toBe(true);
});

test('status and the report list the size of every kit table', async () => {
  const tables = await db.sql<{ name: string }[]>`
    select tablename as name from pg_tables where schemaname = 'public' order by 1`;
  const { tableSizes } = await readStatus(db.sql);
  expect(tableSizes.map((t) => t.table).sort()).toEqual(tables.map((t) => t.name));
  expect(tables.map((t) => t.name)).toEqual(
    expect.arrayContaining(['api_requests_daily', 'date_amendments']),
  );
  const runners = tableSizes.find((t) => t.table === 'ra_mst_runners');
  const [actual] = await db.sql`select pg_total_relation_size('ra_mst_runners')::float8 as bytes`;
  expect(runners?.bytes).toBe(actual?.bytes);
  const coverage = await loadCoverage(db.sql);
  expect(coverage.tableSizes).toEqual(tableSizes);
  const html = renderReportHtml(coverage);
  expect(html).toContain('<section id="table-sizes">');
  expect(html).toContain('<td>raw_responses</td>');
});
