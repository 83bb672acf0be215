import { sql } from 'drizzle-orm';
import {
  type AnyPgColumn,
  bigint,
  bigserial,
  boolean,
  doublePrecision,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  unique,
} from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

// Layer 0: one row per market from listMarketCatalogue. Roles come from sortPriority 1/2/3.
export const marketEventMetadata = pgTable(
  'market_event_metadata',
  {
    marketId: text('market_id').primaryKey(),
    marketName: text('market_name'),
    marketStartTime: timestamptz('market_start_time'),
    eventId: text('event_id'),
    eventName: text('event_name'),
    eventOpenDate: timestamptz('event_open_date'),
    countryCode: text('country_code'),
    competitionId: text('competition_id'),
    competitionName: text('competition_name'),
    homeSelectionId: bigint('home_selection_id', { mode: 'number' }),
    awaySelectionId: bigint('away_selection_id', { mode: 'number' }),
    drawSelectionId: bigint('draw_selection_id', { mode: 'number' }),
    homeRunnerName: text('home_runner_name'),
    awayRunnerName: text('away_runner_name'),
    drawRunnerName: text('draw_runner_name'),
    firstSeenAt: timestamptz('first_seen_at').notNull().defaultNow(),
    lastSeenAt: timestamptz('last_seen_at').notNull().defaultNow(),
  },
  (t) => [
    index('market_event_metadata_start_idx').on(t.marketStartTime),
    index('market_event_metadata_competition_idx').on(t.competitionName),
  ],
);

// Layer 1: the raw listMarketBook object exactly as received. No FK to the metadata: books may be
// imported before their catalogue, and the backfill skips them (reason no_metadata) until it arrives.
export const marketBookSnapshots = pgTable(
  'market_book_snapshots',
  {
    snapshotId: bigserial('snapshot_id', { mode: 'number' }).primaryKey(),
    marketId: text('market_id').notNull(),
    snapshotAt: timestamptz('snapshot_at').notNull(),
    rawPayload: jsonb('raw_payload').notNull(),
    status: text('status'),
    inplay: boolean('inplay'),
    totalMatched: doublePrecision('total_matched'),
    source: text('source').notNull().default('rest_listMarketBook'),
    importedAt: timestamptz('imported_at').notNull().defaultNow(),
  },
  (t) => [
    unique('market_book_snapshots_market_at_key').on(t.marketId, t.snapshotAt),
    index('market_book_snapshots_snapshot_at_idx').on(t.snapshotAt),
  ],
);

// The metrics derive_ladder_metrics() returns (type ladder_metrics), in its order.
const ladderMetrics = {
  totalVolume: doublePrecision('total_volume'),
  homeBestBack: doublePrecision('home_best_back'),
  homeBestLay: doublePrecision('home_best_lay'),
  homeBestBackSizeL1: doublePrecision('home_best_back_size_l1'),
  homeBestLaySizeL1: doublePrecision('home_best_lay_size_l1'),
  homeBackOddsL2: doublePrecision('home_back_odds_l2'),
  homeBackSizeL2: doublePrecision('home_back_size_l2'),
  homeBackOddsL3: doublePrecision('home_back_odds_l3'),
  homeBackSizeL3: doublePrecision('home_back_size_l3'),
  awayBestBack: doublePrecision('away_best_back'),
  awayBestLay: doublePrecision('away_best_lay'),
  awayBestBackSizeL1: doublePrecision('away_best_back_size_l1'),
  awayBestLaySizeL1: doublePrecision('away_best_lay_size_l1'),
  awayBackOddsL2: doublePrecision('away_back_odds_l2'),
  awayBackSizeL2: doublePrecision('away_back_size_l2'),
  awayBackOddsL3: doublePrecision('away_back_odds_l3'),
  awayBackSizeL3: doublePrecision('away_back_size_l3'),
  drawBestBack: doublePrecision('draw_best_back'),
  drawBestLay: doublePrecision('draw_best_lay'),
  drawBestBackSizeL1: doublePrecision('draw_best_back_size_l1'),
  drawBestLaySizeL1: doublePrecision('draw_best_lay_size_l1'),
  drawBackOddsL2: doublePrecision('draw_back_odds_l2'),
  drawBackSizeL2: doublePrecision('draw_back_size_l2'),
  drawBackOddsL3: doublePrecision('draw_back_odds_l3'),
  drawBackSizeL3: doublePrecision('draw_back_size_l3'),
};

const metricColumns = <T extends Record<keyof typeof ladderMetrics, AnyPgColumn>>(t: T) =>
  (Object.keys(ladderMetrics) as Array<keyof typeof ladderMetrics>).map((k) => t[k]);

const anyNull = (columns: AnyPgColumn[]) =>
  sql.join(
    columns.map((c) => sql`${c} is null`),
    sql` or `,
  );

// Layer 2: metrics derived from the raw ladder by derive_ladder_metrics() (one SQL function, used by
// ingest and backfill alike). NULL means absent or invalid; 0 is never stored.
export const marketDerivedMetrics = pgTable(
  'market_derived_metrics',
  {
    snapshotId: bigint('snapshot_id', { mode: 'number' })
      .primaryKey()
      .references(() => marketBookSnapshots.snapshotId, { onDelete: 'cascade' }),
    marketId: text('market_id').notNull(),
    snapshotAt: timestamptz('snapshot_at').notNull(),
    status: text('status'),
    ...ladderMetrics,
    calculationVersion: integer('calculation_version').notNull().default(1),
    derivedAt: timestamptz('derived_at').notNull().default(sql`now()`),
  },
  (t) => [
    index('market_derived_metrics_market_at_idx').on(t.marketId, t.snapshotAt.desc()),
    // Backfill candidates are derived rows with a NULL in a chosen column; only such rows are indexed. The L1
    // back sizes are what verification (v_l1_null_counts) and the usual backfill target; the second index
    // serves any other choice of columns.
    index('market_derived_metrics_l1_null_idx')
      .on(t.snapshotId)
      .where(anyNull([t.homeBestBackSizeL1, t.awayBestBackSizeL1, t.drawBestBackSizeL1])),
    index('market_derived_metrics_any_null_idx')
      .on(t.snapshotId)
      .where(anyNull(metricColumns(t))),
  ],
);

// ---- Betfair historical stream files (src/betfair/ingest-stream.ts) ----

// One row per market seen in a stream file, from its last marketDefinition.
export const betfairMarkets = pgTable(
  'betfair_markets',
  {
    marketId: text('market_id').primaryKey(),
    eventTypeId: text('event_type_id'),
    eventId: text('event_id'),
    eventName: text('event_name'),
    venue: text('venue'),
    countryCode: text('country_code'),
    timezone: text('timezone'),
    marketTime: timestamptz('market_time'),
    marketType: text('market_type'),
    marketName: text('market_name'),
    bettingType: text('betting_type'),
    numberOfWinners: integer('number_of_winners'),
    status: text('status'),
    bspReconciled: boolean('bsp_reconciled'),
    settledTime: timestamptz('settled_time'),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [index('betfair_markets_market_time_idx').on(t.marketTime)],
);

// Every runner of every market, from the catalogue or the stream's marketDefinition.
export const marketRunners = pgTable(
  'market_runners',
  {
    marketId: text('market_id').notNull(),
    selectionId: bigint('selection_id', { mode: 'number' }).notNull(),
    name: text('name'),
    sortPriority: integer('sort_priority'),
    status: text('status'),
    removalDate: timestamptz('removal_date'),
    adjustmentFactor: doublePrecision('adjustment_factor'),
    bsp: doublePrecision('bsp'),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.marketId, t.selectionId] })],
);

// One row per snapshot and selection: ladder_runner_values() (the per-runner derivation the three-role
// table is computed from too), the composite's fields under the same names.
export const marketRunnerMetrics = pgTable(
  'market_runner_metrics',
  {
    snapshotId: bigint('snapshot_id', { mode: 'number' })
      .notNull()
      .references(() => marketBookSnapshots.snapshotId, { onDelete: 'cascade' }),
    selectionId: bigint('selection_id', { mode: 'number' }).notNull(),
    marketId: text('market_id').notNull(),
    snapshotAt: timestamptz('snapshot_at').notNull(),
    status: text('status'),
    ltp: doublePrecision('ltp'),
    tradedVolume: doublePrecision('traded_volume'),
    backPriceL1: doublePrecision('back_price_l1'),
    backSizeL1: doublePrecision('back_size_l1'),
    backPriceL2: doublePrecision('back_price_l2'),
    backSizeL2: doublePrecision('back_size_l2'),
    backPriceL3: doublePrecision('back_price_l3'),
    backSizeL3: doublePrecision('back_size_l3'),
    layPriceL1: doublePrecision('lay_price_l1'),
    laySizeL1: doublePrecision('lay_size_l1'),
    layPriceL2: doublePrecision('lay_price_l2'),
    laySizeL2: doublePrecision('lay_size_l2'),
    layPriceL3: doublePrecision('lay_price_l3'),
    laySizeL3: doublePrecision('lay_size_l3'),
    spn: doublePrecision('spn'),
    spf: doublePrecision('spf'),
  },
  (t) => [
    primaryKey({ columns: [t.snapshotId, t.selectionId] }),
    index('market_runner_metrics_market_at_idx').on(t.marketId, t.snapshotAt),
  ],
);

// Stream files already imported, by content: the same bytes under another name import nothing.
export const betfairStreamFiles = pgTable('betfair_stream_files', {
  sha256: text('sha256').primaryKey(),
  path: text('path').notNull(),
  bytes: bigint('bytes', { mode: 'number' }).notNull(),
  markets: integer('markets').notNull(),
  snapshots: integer('snapshots').notNull(),
  importedAt: timestamptz('imported_at').notNull().defaultNow(),
});

// How each horse-racing market was (or was not) linked to its race (betfair_link_markets()): race_id NULL
// with a reason when no single race matched; method says what matched when one did.
export const betfairMarketRaces = pgTable(
  'betfair_market_races',
  {
    marketId: text('market_id').primaryKey(),
    raceId: text('race_id'),
    method: text('method'),
    reason: text('reason'),
    offDiffSeconds: integer('off_diff_seconds'),
    linkedAt: timestamptz('linked_at').notNull().defaultNow(),
  },
  (t) => [index('betfair_market_races_race_idx').on(t.raceId)],
);

// Each selection of a linked market and its ra_mst_runners row; method: exact or normalised name.
export const betfairRunnerHorses = pgTable(
  'betfair_runner_horses',
  {
    marketId: text('market_id').notNull(),
    selectionId: bigint('selection_id', { mode: 'number' }).notNull(),
    raceId: text('race_id').notNull(),
    runnerId: bigint('runner_id', { mode: 'number' }).notNull(),
    horseId: text('horse_id').notNull(),
    method: text('method').notNull(),
    linkedAt: timestamptz('linked_at').notNull().defaultNow(),
  },
  (t) => [
    primaryKey({ columns: [t.marketId, t.selectionId] }),
    index('betfair_runner_horses_horse_idx').on(t.horseId),
  ],
);
