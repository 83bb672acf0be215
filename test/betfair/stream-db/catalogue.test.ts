import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { importCatalogueFile } from '../../../src/betfair/catalogue.ts';
import { importStreamFile } from '../../../src/betfair/ingest-stream.ts';
import { generateWinMarket, writeStreamFile } from '../../../src/betfair/stream/index.ts';
import { useTestDatabase } from '../../helpers/db.ts';

const db = useTestDatabase();
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'catalogue-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const AT_ONE = { cadence: { kind: 'at', offsetsMs: [0] } as const };
const OFF = '2024-02-03T14:05:00.000Z';
const IDS = [5_100_001, 5_100_002, 5_100_003];
const NAMES = ['Sea Breeze', 'Night Owl', 'Third Time'];

/** listMarketCatalogue of a horse-racing WIN market, with the EVENT, EVENT_TYPE, DESCRIPTION projections. */
function winCatalogue(marketId: string, names: readonly string[] = NAMES) {
  return {
    marketId,
    marketName: '2m Hcap Hrd',
    marketStartTime: OFF,
    totalMatched: 0,
    description: { marketType: 'WIN', bettingType: 'ODDS', marketTime: OFF, bspMarket: true },
    eventType: { id: '7', name: 'Horse Racing' },
    event: {
      id: '33100200',
      name: 'Sandown 3rd Feb',
      countryCode: 'GB',
      timezone: 'Europe/London',
      venue: 'Sandown',
      openDate: '2024-02-03T12:45:00.000Z',
    },
    runners: IDS.map((selectionId, i) => ({
      selectionId,
      runnerName: names[i],
      handicap: 0,
      sortPriority: i + 1,
      metadata: { CLOTH_NUMBER: String(i + 1) },
    })),
  };
}

async function importCatalogue(markets: unknown[]) {
  const path = join(dir, `catalogue-${Math.random().toString(36).slice(2)}.json`);
  await writeFile(path, JSON.stringify(markets));
  const warnings: string[] = [];
  const counts = await importCatalogueFile(db.sql, path, (m) => warnings.push(m));
  return { counts, warnings };
}

async function importStream(marketId: string) {
  const path = join(dir, `${marketId}.bz2`);
  const lines = generateWinMarket({
    marketId,
    marketTime: OFF,
    runners: 3,
    selectionIds: IDS,
    names: NAMES,
    venue: 'Sandown',
    seed: 7,
  });
  await writeStreamFile(path, lines, 'bzip2');
  return importStreamFile(db.sql, path, AT_ONE);
}

const runnersOf = (marketId: string) => db.sql`
  select selection_id::int as id, name, sort_priority, status, removal_date is not null as removed,
         adjustment_factor, bsp
  from market_runners where market_id = ${marketId} order by sort_priority`;
const marketOf = async (marketId: string) =>
  (
    await db.sql`
      select event_type_id, venue, market_type, market_name, betting_type, market_time, status, bsp_reconciled,
             settled_time is not null as settled
      from betfair_markets where market_id = ${marketId}`
  )[0];

describe('market_runners from listMarketCatalogue', () => {
  test('a horse-racing catalogue fills betfair_markets and market_runners, with no roles and no warning', async () => {
    const { counts, warnings } = await importCatalogue([winCatalogue('1.229000001')]);
    expect(warnings).toEqual([]);
    expect(counts).toMatchObject({
      received: 1,
      markets: 1,
      runners: 3,
      roles_inserted: 0,
      skipped: 0,
    });
    expect(await runnersOf('1.229000001')).toEqual(
      NAMES.map((name, i) => ({
        id: IDS[i],
        name,
        sort_priority: i + 1,
        status: null,
        removed: false,
        adjustment_factor: null,
        bsp: null,
      })),
    );
    expect(await marketOf('1.229000001')).toEqual({
      event_type_id: '7',
      venue: 'Sandown',
      market_type: 'WIN',
      market_name: '2m Hcap Hrd',
      betting_type: 'ODDS',
      market_time: new Date(OFF),
      status: null,
      bsp_reconciled: null,
      settled: false,
    });
    const [roles] = await db.sql`
      select count(*)::int as n from market_event_metadata where market_id = '1.229000001'`;
    expect(roles?.n).toBe(0);
  });

  test('a catalogue after the stream file keeps its status, BSP and removal; its names replace the stored ones', async () => {
    await importStream('1.229000002');
    const fromStream = await runnersOf('1.229000002');
    expect(fromStream.map((r) => r.status)).toEqual(expect.arrayContaining(['REMOVED', 'WINNER']));
    expect(fromStream.filter((r) => r.bsp !== null)).toHaveLength(2);
    const streamMarket = await marketOf('1.229000002');
    expect(streamMarket).toMatchObject({ status: 'CLOSED', bsp_reconciled: true });

    const renamed = ['Sea Breeze (IRE)', 'Night Owl (FR)', 'Third Time'];
    const { counts } = await importCatalogue([winCatalogue('1.229000002', renamed)]);
    expect(counts).toMatchObject({ markets: 1, runners: 2 }); // the third name did not change
    expect(await runnersOf('1.229000002')).toEqual(fromStream.map((r, i) => ({ ...r, name: renamed[i] })));
    expect(await marketOf('1.229000002')).toEqual({ ...streamMarket, market_name: '2m Hcap Hrd' });
  });

  test('a stream file after the catalogue adds what the catalogue lacks; the same catalogue again changes nothing', async () => {
    await importCatalogue([winCatalogue('1.229000003')]);
    await importStream('1.229000003');
    const runners = await runnersOf('1.229000003');
    expect(runners.map((r) => r.name)).toEqual(NAMES);
    expect(runners.every((r) => r.status !== null && r.adjustment_factor !== null)).toBe(true);
    const again = await importCatalogue([winCatalogue('1.229000003')]);
    expect(again.counts).toMatchObject({ markets: 1, runners: 0 }); // market_name: the stream's '1m Hcap'
    expect(await runnersOf('1.229000003')).toEqual(runners);
  });

  test('a market twice in one file: the later one wins; a soccer market still gets its roles', async () => {
    const soccer = {
      marketId: '1.229000005',
      marketName: 'Match Odds',
      marketStartTime: '2024-02-03T15:00:00.000Z',
      eventType: { id: '1', name: 'Soccer' },
      event: { id: '33100300', name: 'Home v Away', countryCode: 'GB' },
      runners: [
        { selectionId: 11, runnerName: 'Home', sortPriority: 1 },
        { selectionId: 12, runnerName: 'Away', sortPriority: 2 },
        { selectionId: 13, runnerName: 'The Draw', sortPriority: 3 },
      ],
    };
    const { counts, warnings } = await importCatalogue([
      winCatalogue('1.229000004', ['Old A', 'Old B', 'Old C']),
      soccer,
      winCatalogue('1.229000004'),
      { marketId: 'nonsense' },
    ]);
    expect(counts).toMatchObject({ received: 4, markets: 2, runners: 6, roles_inserted: 1, skipped: 1 });
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/:1: not a MarketCatalogue \(marketId: /);
    expect((await runnersOf('1.229000004')).map((r) => r.name)).toEqual(NAMES);
    expect((await runnersOf('1.229000005')).map((r) => r.name)).toEqual(['Home', 'Away', 'The Draw']);
    const [roles] = await db.sql`
      select home_selection_id::int as h, draw_selection_id::int as d
      from market_event_metadata where market_id = '1.229000005'`;
    expect(roles).toEqual({ h: 11, d: 13 });
  });

  test('its horse-racing markets are linked to the races, selections to the horses', async () => {
    await db.sql`insert into ra_mst_races (id, course, date, off_dt, race_name)
                 values ('rac_s1', 'Sandown', '2024-02-03', ${OFF}, 'Handicap Hurdle')`;
    for (const [i, name] of ['Sea Breeze (IRE)', 'Night Owl', 'Third Time (FR)'].entries()) {
      await db.sql`insert into ra_horses (id, name) values (${`hrs_s${i}`}, ${name})`;
      await db.sql`insert into ra_mst_runners (race_id, horse_id, horse_name) values ('rac_s1', ${`hrs_s${i}`}, ${name})`;
    }
    const { counts } = await importCatalogue([winCatalogue('1.229000006')]);
    expect(counts.linked).toBeGreaterThanOrEqual(1);
    const [link] = await db.sql`
      select race_id, method from betfair_market_races where market_id = '1.229000006'`;
    expect(link).toEqual({ race_id: 'rac_s1', method: 'course_and_off' });
    const horses = await db.sql`
      select selection_id::int as id, horse_id from betfair_runner_horses
      where market_id = '1.229000006' order by selection_id`;
    expect(horses).toEqual(IDS.map((id, i) => ({ id, horse_id: `hrs_s${i}` })));
  });
});
