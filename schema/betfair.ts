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
