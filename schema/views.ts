import { bigint, doublePrecision, integer, interval, numeric, pgView, text } from 'drizzle-orm/pg-core';

// The verification views are written in SQL in migrations/0001_verification_views.sql; these
// declarations only type queries on them (drizzle-kit skips `.existing()` views).

const pct = (name: string) => numeric(name, { mode: 'number' });

export const vRunnerCoverageByYear = pgView('v_runner_coverage_by_year', {
  year: integer('year'),
  totalRaces: bigint('total_races', { mode: 'number' }),
  racesWithRunners: bigint('races_with_runners', { mode: 'number' }),
  coveragePct: pct('coverage_pct'),
  totalRunners: bigint('total_runners', { mode: 'number' }),
  avgRunnersPerRace: pct('avg_runners_per_race'),
}).existing();

export const vHorseEnrichment = pgView('v_horse_enrichment', {
  totalHorses: bigint('total_horses', { mode: 'number' }),
  enrichedHorses: bigint('enriched_horses', { mode: 'number' }),
  notEnriched: bigint('not_enriched', { mode: 'number' }),
  enrichmentPct: pct('enrichment_pct'),
}).existing();

export const vPedigreeCoverage = pgView('v_pedigree_coverage', {
  totalHorses: bigint('total_horses', { mode: 'number' }),
  horsesWithPedigree: bigint('horses_with_pedigree', { mode: 'number' }),
  pedigreeCoveragePct: pct('pedigree_coverage_pct'),
}).existing();

export const vEntityCounts = pgView('v_entity_counts', {
  entityType: text('entity_type'),
  totalCount: bigint('total_count', { mode: 'number' }),
}).existing();

export const vOrphanedRunners = pgView('v_orphaned_runners', {
  runnerId: bigint('runner_id', { mode: 'number' }),
  raceId: text('race_id'),
  horseId: text('horse_id'),
  missing: text('missing'),
}).existing();

export const vL1NullCounts = pgView('v_l1_null_counts', {
  columnName: text('column_name'),
  nullCount: bigint('null_count', { mode: 'number' }),
  totalRows: bigint('total_rows', { mode: 'number' }),
  pctNull: pct('pct_null'),
  nullCount7d: bigint('null_count_7d', { mode: 'number' }),
  fillable: bigint('fillable', { mode: 'number' }),
  expected: bigint('expected', { mode: 'number' }),
}).existing();

export const vBackfillProgress = pgView('v_backfill_progress', {
  source: text('source'),
  unit: text('unit'),
  total: bigint('total', { mode: 'number' }),
  done: bigint('done', { mode: 'number' }),
  failed: bigint('failed', { mode: 'number' }),
  pending: bigint('pending', { mode: 'number' }),
  requestsLastHour: bigint('requests_last_hour', { mode: 'number' }),
  requestsRemaining: bigint('requests_remaining', { mode: 'number' }),
  ratePerSec: doublePrecision('rate_per_sec'),
  eta: interval('eta'),
}).existing();
