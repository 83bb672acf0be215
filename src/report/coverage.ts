import type postgres from 'postgres';
import { allAccountStates, type PlanGap } from '../accounts.ts';
import { kitTableSizes, type TableSize } from '../daily/table-sizes.ts';
import type { Sql } from '../db.ts';
import type { BackfillProgressCounts } from '../status.ts';
import { type BetfairCoverage, loadBetfairCoverage } from './betfair.ts';
import { ISO_UTC, loadRequestActivity, type RequestActivity } from './requests.ts';

type Tx = postgres.TransactionSql;

// Everything the coverage report shows, read from the verification views and aggregated in SQL.
// Plain JSON (numbers, strings, nulls): /api/coverage serves exactly this object.

/** Years whose runner coverage falls below this are highlighted. */
export const COVERAGE_TARGET_PCT = 95;
/** How many of the newest ladder backfill runs the report lists. */
export const LADDER_RUNS_SHOWN = 20;

export interface YearCoverage {
  year: number;
  totalRaces: number;
  racesWithRunners: number;
  coveragePct: number;
  totalRunners: number;
  avgRunnersPerRace: number;
  belowTarget: boolean;
}

export interface L1NullCount {
  columnName: string;
  nullCount: number;
  totalRows: number;
  pctNull: number;
  nullCount7d: number;
  fillable: number;
  expected: number;
}

export interface LadderBackfillRun {
  id: number;
  dryRun: boolean;
  status: string;
  scanned: number;
  derivedRowsCreated: number;
  updatedByColumn: Record<string, unknown>;
  skippedByReason: Record<string, unknown>;
  errors: number;
  lastError: string | null;
  startedAt: string;
  finishedAt: string | null;
}

export interface BackfillProgress extends BackfillProgressCounts {
  eta: string | null;
}

/** The Racing API accounts with a recorded state (src/accounts.ts) and what their plans do not include. */
export interface AccountsState {
  accounts: { accountId: string; state: string; since: string; message: string | null }[];
  gaps: PlanGap[];
}

export interface Coverage {
  generatedAt: string;
  coverageTargetPct: number;
  years: YearCoverage[];
  enrichment: { totalHorses: number; enrichedHorses: number; notEnriched: number; enrichmentPct: number };
  pedigree: { totalHorses: number; horsesWithPedigree: number; pedigreeCoveragePct: number };
  entities: { entityType: string; totalCount: number }[];
  l1Nulls: L1NullCount[];
  ladderBackfillRuns: LadderBackfillRun[];
  requests: RequestActivity;
  backfill: BackfillProgress[];
  /** Disk size of every kit table, largest first. */
  tableSizes: TableSize[];
  accounts: AccountsState;
  betfair: BetfairCoverage;
}

export interface LoadCoverageOptions {
  /** statement_timeout of each of the report's queries (unset: the connection's own). */
  statementTimeoutMs?: number;
}

/** One consistent read (repeatable read snapshot) of every number in the report. */
export async function loadCoverage(sql: Sql, options: LoadCoverageOptions = {}): Promise<Coverage> {
  return (await sql.begin('isolation level repeatable read read only', async (tx) => {
    if (options.statementTimeoutMs !== undefined)
      await tx`select set_config('statement_timeout', ${String(options.statementTimeoutMs)}, true)`;
    const [now] = await tx<{ now: string }[]>`select to_char(now() at time zone 'UTC', ${ISO_UTC}) as now`;
    return {
      generatedAt: now!.now,
      coverageTargetPct: COVERAGE_TARGET_PCT,
      years: await loadYears(tx),
      ...(await loadHorseCoverage(tx)),
      entities: [
        ...(await tx`select entity_type as "entityType", total_count::float8 as "totalCount" from v_entity_counts`),
      ],
      l1Nulls: [
        ...(await tx`
        select column_name as "columnName", null_count::float8 as "nullCount", total_rows::float8 as "totalRows",
          pct_null::float8 as "pctNull", null_count_7d::float8 as "nullCount7d", fillable::float8 as fillable,
          expected::float8 as expected
        from v_l1_null_counts`),
      ],
      ladderBackfillRuns: await loadLadderRuns(tx),
      requests: await loadRequestActivity(tx),
      backfill: [
        ...(await tx`
        select source, unit, total::float8 as total, done::float8 as done, failed::float8 as failed,
          pending::float8 as pending, not_in_plan::float8 as "notInPlan", requests_last_hour::float8 as "requestsLastHour",
          requests_remaining::float8 as "requestsRemaining", rate_per_sec as "ratePerSec",
          justify_interval(date_trunc('second', eta))::text as eta
        from v_backfill_progress`),
      ],
      tableSizes: await kitTableSizes(tx),
      accounts: await loadAccounts(tx),
      betfair: await loadBetfairCoverage(tx),
    };
  })) as Coverage;
}

async function loadAccounts(sql: Tx): Promise<AccountsState> {
  const { accounts, gaps } = await allAccountStates(sql);
  return { accounts: accounts.map((a) => ({ ...a, since: a.since.toISOString() })), gaps };
}

async function loadYears(sql: Tx): Promise<YearCoverage[]> {
  // Oldest first: the chart reads left to right.
  const rows = await sql<YearCoverage[]>`
    select year, total_races::float8 as "totalRaces", races_with_runners::float8 as "racesWithRunners",
      coverage_pct::float8 as "coveragePct", total_runners::float8 as "totalRunners",
      avg_runners_per_race::float8 as "avgRunnersPerRace",
      coverage_pct < ${COVERAGE_TARGET_PCT} as "belowTarget"
    from v_runner_coverage_by_year
    order by year`;
  return [...rows];
}

async function loadHorseCoverage(sql: Tx): Promise<Pick<Coverage, 'enrichment' | 'pedigree'>> {
  const [row] = await sql`
    select
      json_build_object(
        'totalHorses', e.total_horses, 'enrichedHorses', e.enriched_horses,
        'notEnriched', e.not_enriched, 'enrichmentPct', e.enrichment_pct::float8) as enrichment,
      json_build_object(
        'totalHorses', p.total_horses, 'horsesWithPedigree', p.horses_with_pedigree,
        'pedigreeCoveragePct', p.pedigree_coverage_pct::float8) as pedigree
    from v_horse_enrichment e cross join v_pedigree_coverage p`;
  return row as Pick<Coverage, 'enrichment' | 'pedigree'>;
}

async function loadLadderRuns(sql: Tx): Promise<LadderBackfillRun[]> {
  const rows = await sql<LadderBackfillRun[]>`
    select id::float8 as id, dry_run as "dryRun", status, scanned::float8 as scanned,
      derived_rows_created::float8 as "derivedRowsCreated", updated_by_column as "updatedByColumn",
      skipped_by_reason as "skippedByReason", errors::float8 as errors, last_error as "lastError",
      to_char(started_at at time zone 'UTC', ${ISO_UTC}) as "startedAt",
      to_char(finished_at at time zone 'UTC', ${ISO_UTC}) as "finishedAt"
    from ladder_backfill_runs
    order by started_at desc, id desc
    limit ${LADDER_RUNS_SHOWN}`;
  return [...rows];
}

export interface CoverageCacheOptions extends LoadCoverageOptions {
  /** A computation is served for this long after it started; 0 computes for every request not already waiting. */
  maxAgeMs: number;
  /** What computes the numbers (tests count its calls). */
  load?: (sql: Sql, options: LoadCoverageOptions) => Promise<Coverage>;
  /** The clock (tests move it by hand). */
  now?: () => number;
}

/**
 * The report's numbers, computed at most once per maxAgeMs: requests inside the interval get the same object,
 * and requests that arrive while it is being computed share that one computation. A failed computation is not
 * kept: the next request tries again.
 */
export function coverageCache(
  sql: Sql,
  { maxAgeMs, load = loadCoverage, now = Date.now, ...loadOptions }: CoverageCacheOptions,
): () => Promise<Coverage> {
  let cached: { startedAt: number; coverage: Coverage } | undefined;
  let pending: Promise<Coverage> | undefined;
  return () => {
    if (cached && now() - cached.startedAt < maxAgeMs) return Promise.resolve(cached.coverage);
    if (!pending) {
      const startedAt = now();
      pending = load(sql, loadOptions).then(
        (coverage) => {
          cached = { startedAt, coverage };
          pending = undefined;
          return coverage;
        },
        (error: unknown) => {
          pending = undefined;
          throw error;
        },
      );
    }
    return pending;
  };
}
