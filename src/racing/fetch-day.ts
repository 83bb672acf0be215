// One date of one source: page the API into memory (no transaction open while waiting on the network),
// write the entities many dates share (courses, people, horses), each statement committing by itself, then
// raw pages, races, runners, odds, the fetch_state checkpoint and the enrich jobs in ONE transaction. A crash
// before that commit leaves no part of the date (at most entity rows, written again the same by the
// re-run); a re-run after it finds 'done' and makes no call.
//
// Outcomes: 'done' (rows + checkpoint; a 404 for the date is an empty day), 'failed' (invalid response or
// terminal 4xx: recorded, not retried), 'outside_window' (racecards outside their window, rules.ts: no call),
// 'skipped' (already done). Transient errors are recorded on fetch_state and thrown, so the job retries.

import { AccountStoppedError } from '../accounts.ts';
import { linkBetfairDay } from '../betfair/link.ts';
import type { Sql } from '../db.ts';
import type { RacingApiClient } from '../racing-api/client.ts';
import type { ApiResult } from '../racing-api/result.ts';
import { racecardsPageSchema, resultsPageSchema } from '../racing-api/schemas.ts';
import { skipCommitFlush } from '../task-db.ts';
import { ukToday } from './dates.ts';
import { type DaySource, loadDayEntities, loadDayRows } from './load.ts';
import { enqueueEnrichJobs, releaseHeldEnrichment } from './queue.ts';
import { type RawResponse, storeRawResponses } from './raw.ts';
import { type DayRows, racecardRows, resultRows } from './rows.ts';
import { inRacecardWindow, isFinal, RACECARD_WINDOW_TEXT } from './rules.ts';

export interface FetchDayOptions {
  date: string;
  regions: readonly string[];
  enrich: boolean;
  force: boolean;
  /** UK date of today; injectable for tests. */
  today?: string;
}

/** The job running this fetch, for the checkpoint's attempt bookkeeping. */
export interface JobInfo {
  attempts: number;
  maxAttempts: number;
}

export interface FetchDayOutcome {
  source: DaySource;
  date: string;
  status: 'done' | 'failed' | 'outside_window' | 'skipped' | 'not_in_plan';
  /** API calls made by this run. */
  calls: number;
  pages: number;
  total: number;
  races: number;
  runners: number;
  enrichQueued: number;
  httpStatus?: number;
  error?: string;
}

interface PageQuery {
  date: string;
  regions: string[];
  skip: number;
  limit: number;
}

interface PageData {
  total?: number | null;
}

interface SourceSpec<P extends PageData> {
  source: DaySource;
  /** The page's zod schema: what the client checks a fetched page with, and a re-derive a stored one. */
  schema: { safeParse(json: unknown): { success: true; data: P } | { success: false; error: Error } };
  limit: number;
  /** The API refuses a skip above this. */
  maxSkip: number;
  page(client: RacingApiClient, q: PageQuery): Promise<ApiResult<P>>;
  items(page: P): readonly unknown[];
  rows(items: readonly unknown[]): DayRows;
}

const RESULTS: SourceSpec<{ results: readonly unknown[]; total?: number | null }> = {
  source: 'results',
  schema: resultsPageSchema,
  limit: 50,
  maxSkip: 20000,
  page: (client, q) => client.resultsPage(q),
  items: (p) => p.results ?? [],
  rows: (items) => resultRows(items as Parameters<typeof resultRows>[0]),
};

const RACECARDS: SourceSpec<{ racecards: readonly unknown[]; total?: number | null }> = {
  source: 'racecards',
  schema: racecardsPageSchema,
  limit: 500,
  maxSkip: 500,
  page: (client, q) => client.racecardsPage(q),
  items: (p) => p.racecards ?? [],
  rows: (items) => racecardRows(items as Parameters<typeof racecardRows>[0]),
};

const SPECS = { results: RESULTS, racecards: RACECARDS } as const;

/**
 * One date's rows from its pages' parsed bodies (page order): the mapping shared by a fetch and a re-derive
 * from raw_responses (rederive.ts), so both write the same rows.
 */
export function dayRowsOfPages(source: DaySource, pages: readonly PageData[]): DayRows {
  const spec = SPECS[source] as SourceSpec<PageData>;
  return spec.rows(pages.flatMap((p) => spec.items(p)));
}

/** A stored page body checked with the schema the client uses; the error names the first problem. */
export function parseStoredPage(
  source: DaySource,
  body: string,
): { ok: true; page: PageData } | { ok: false; error: string } {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    return { ok: false, error: 'body is not JSON' };
  }
  const parsed = (SPECS[source] as SourceSpec<PageData>).schema.safeParse(json);
  return parsed.success ? { ok: true, page: parsed.data } : { ok: false, error: parsed.error.message };
}

/** raw_responses key of one page: source, date, regions and skip. */
export function pageRequestKey(
  source: DaySource,
  date: string,
  regions: readonly string[],
  skip: number,
): string {
  return `${source}:${date}:${regions.join(',')}:${skip}`;
}

export function fetchResultsDay(db: Sql, client: RacingApiClient, o: FetchDayOptions, job?: JobInfo) {
  return fetchDay(RESULTS, db, client, o, job);
}

/**
 * One racecard date. When it has ended (any outcome, or a last attempt's error) and it was the last racecard
 * fetch queued, the enrich jobs parked while racecards were queued become due (queue.ts).
 */
export async function fetchRacecardsDay(
  db: Sql,
  client: RacingApiClient,
  o: FetchDayOptions,
  job?: JobInfo,
): Promise<FetchDayOutcome> {
  let outcome: FetchDayOutcome;
  try {
    outcome = inRacecardWindow(o.date, o.today ?? ukToday())
      ? await fetchDay(RACECARDS, db, client, o, job)
      : await markOutsideWindow(db, o);
  } catch (error) {
    // A date failed for good no longer holds enrichment back (still pending while it will be retried).
    await releaseHeldEnrichment(db).catch(() => {});
    throw error;
  }
  await releaseHeldEnrichment(db);
  return outcome;
}

/** Done for these regions and final (rules.ts isFinal: a date from today on is fetched again). */
async function isDone(db: Sql, source: DaySource, o: FetchDayOptions): Promise<boolean> {
  if (!isFinal(o.date, o.today ?? ukToday())) return false;
  const [row] = await db<{ done: boolean }[]>`
    select status = 'done' and coalesce(regions @> ${o.regions as string[]}::text[], false) as done
    from fetch_state where source = ${source} and date = ${o.date}`;
  return row?.done === true;
}

async function markOutsideWindow(db: Sql, o: FetchDayOptions): Promise<FetchDayOutcome> {
  const base = emptyOutcome('racecards', o.date);
  if (!o.force && (await isDone(db, 'racecards', o))) return { ...base, status: 'skipped' };
  await db`
    insert into fetch_state (source, date, status, regions, last_error, finished_at)
    values ('racecards', ${o.date}, 'outside_window', ${o.regions as string[]}::text[],
            ${`racecards exist only from ${RACECARD_WINDOW_TEXT}`}, now())
    on conflict (source, date) do update set status = 'outside_window', regions = excluded.regions,
      last_error = excluded.last_error, finished_at = now(), updated_at = now()
    where fetch_state.status <> 'done'`;
  return { ...base, status: 'outside_window' };
}

function emptyOutcome(source: DaySource, date: string): FetchDayOutcome {
  return {
    source,
    date,
    status: 'done',
    calls: 0,
    pages: 0,
    total: 0,
    races: 0,
    runners: 0,
    enrichQueued: 0,
  };
}

async function fetchDay<P extends PageData>(
  spec: SourceSpec<P>,
  db: Sql,
  client: RacingApiClient,
  o: FetchDayOptions,
  job?: JobInfo,
): Promise<FetchDayOutcome> {
  const outcome = emptyOutcome(spec.source, o.date);
  if (!o.force && (await isDone(db, spec.source, o))) return { ...outcome, status: 'skipped' };
  const regions = [...o.regions];
  const raws: RawResponse[] = [];
  const pages: P[] = [];
  let items = 0;
  let total = 0;
  let httpStatus = 200;
  let skip = 0;
  for (let page = 0; ; page++) {
    let res: ApiResult<P>;
    try {
      outcome.calls++;
      res = await spec.page(client, { date: o.date, regions, skip, limit: spec.limit });
    } catch (error) {
      // TransientApiError (retries spent), or anything unexpected (an unclassified status, an abort on
      // shutdown): keep it visible on the date, then let graphile-worker retry the job. A stopped account
      // is not the date's failure: the job waits for the account (src/task.ts), the date stays as it was.
      if (error instanceof AccountStoppedError) throw error;
      await recordTransient(db, spec.source, o, asError(error), job).catch(() => {});
      throw error;
    }
    const requestKey = pageRequestKey(spec.source, o.date, regions, skip);
    if (!res.ok) {
      if (res.reason === 'not_found' && page === 0) {
        // No racing (or no cards) that day: a valid, empty day, stored so it is not fetched again.
        httpStatus = res.status;
        raws.push({
          endpoint: spec.source,
          requestKey,
          date: o.date,
          page,
          status: res.status,
          body: res.bodyText,
          valid: true,
        });
        break;
      }
      if (res.reason === 'not_in_plan') return recordNotInPlan(db, spec.source, o, outcome, res.error);
      return recordFailure(db, spec.source, o, outcome, res, requestKey, page);
    }
    const pageItems = spec.items(res.data);
    raws.push({
      endpoint: spec.source,
      requestKey,
      date: o.date,
      page,
      status: res.status,
      body: res.bodyText,
      valid: true,
    });
    pages.push(res.data);
    items += pageItems.length;
    total = res.data.total ?? items;
    skip += pageItems.length;
    // Page until the API's total is reached; an empty page also ends it (a total that overstates).
    if (pageItems.length === 0 || skip >= total || skip > spec.maxSkip) break;
  }

  const rows = dayRowsOfPages(spec.source, pages);
  outcome.pages = raws.length;
  outcome.total = total;
  outcome.races = new Set(rows.races.map((r) => r.id)).size;
  outcome.runners = new Set(rows.runners.map((r) => `${r.race_id}|${r.horse_id}`)).size;
  outcome.httpStatus = httpStatus;
  try {
    await writeDay(db, spec.source, o, rows, raws, outcome);
  } catch (error) {
    // Nothing of the day was written (one transaction). Keep the error visible beside the date, then let
    // graphile-worker retry; if even this write fails, the job's own last_error still has the cause.
    await recordTransient(db, spec.source, o, asError(error), job).catch(() => {});
    throw error;
  }
  return outcome;
}

async function writeDay(
  db: Sql,
  source: DaySource,
  o: FetchDayOptions,
  rows: DayRows,
  raws: RawResponse[],
  outcome: FetchDayOutcome,
): Promise<void> {
  const regions = [...o.regions];
  const horseIds = o.enrich ? [...new Set(rows.horses.map((h) => String(h.id)))] : [];
  // The entities many dates share first, each statement committing by itself (see load.ts).
  await loadDayEntities(db, rows);
  await db.begin(async (tx) => {
    // Every statement is sent before any answer is awaited: postgres.js pipelines them on the
    // transaction's connection and the server runs them in this order (raw pages, entities, races,
    // runners, checkpoint, enrich jobs after the horses they read). Waiting a round trip per statement
    // cost more than several of the statements themselves on a busy 2-core machine.
    const [, , , , queued] = await Promise.all([
      skipCommitFlush(tx),
      storeRawResponses(tx, raws),
      loadDayRows(tx, source, rows, { entities: false }),
      tx`
        insert into fetch_state as f (source, date, status, regions, pages, total, races, runners, attempts,
                                      http_status, last_error, error_path, finished_at)
        values (${source}, ${o.date}, 'done', ${regions}::text[], ${outcome.pages}, ${outcome.total},
                ${outcome.races}, ${outcome.runners}, 1, ${outcome.httpStatus ?? null}, null, null, now())
        on conflict (source, date) do update set status = 'done', regions = excluded.regions,
          pages = excluded.pages, total = excluded.total, races = excluded.races, runners = excluded.runners,
          attempts = f.attempts + 1, http_status = excluded.http_status, last_error = null, error_path = null,
          finished_at = now(), updated_at = now()`.execute(),
      enqueueEnrichJobs(tx, horseIds),
      linkBetfairDay(tx, o.date),
    ]);
    outcome.enrichQueued = queued;
  });
}

type Failure = Extract<ApiResult<unknown>, { ok: false }>;

/** Terminal answer: raw kept when it was an invalid body, the date marked failed, nothing else written. */
async function recordFailure(
  db: Sql,
  source: DaySource,
  o: FetchDayOptions,
  outcome: FetchDayOutcome,
  res: Failure,
  requestKey: string,
  page: number,
): Promise<FetchDayOutcome> {
  const error = `${res.reason} (HTTP ${res.status}): ${res.error}`;
  await db.begin(async (tx) => {
    if (res.reason === 'invalid') {
      await storeRawResponses(tx, [
        {
          endpoint: source,
          requestKey,
          date: o.date,
          page,
          status: res.status,
          body: res.bodyText,
          valid: false,
          validationError: res.path ? `${res.path}: ${res.error}` : res.error,
        },
      ]);
    }
    await tx`
      insert into fetch_state as f (source, date, status, regions, attempts, http_status, last_error, error_path, finished_at)
      values (${source}, ${o.date}, 'failed', ${o.regions as string[]}::text[], 1, ${res.status}, ${error},
              ${res.path ?? null}, now())
      on conflict (source, date) do update set
        status = case when f.status = 'done' then 'done' else 'failed' end,
        attempts = f.attempts + 1, http_status = excluded.http_status, last_error = excluded.last_error,
        error_path = excluded.error_path, finished_at = now(), updated_at = now()`;
  });
  return { ...outcome, status: 'failed', httpStatus: res.status, error };
}

/** A date the account's plan does not include (src/accounts.ts): not failed, not called again. */
async function recordNotInPlan(
  db: Sql,
  source: DaySource,
  o: FetchDayOptions,
  outcome: FetchDayOutcome,
  error: string,
): Promise<FetchDayOutcome> {
  await db`
    insert into fetch_state as f (source, date, status, regions, http_status, last_error, finished_at)
    values (${source}, ${o.date}, 'not_in_plan', ${o.regions as string[]}::text[], 401, ${error}, now())
    on conflict (source, date) do update set
      status = case when f.status = 'done' then 'done' else 'not_in_plan' end,
      http_status = excluded.http_status, last_error = excluded.last_error, finished_at = now(), updated_at = now()`;
  return { ...outcome, status: 'not_in_plan', httpStatus: 401, error };
}

/** Outside any data transaction: the attempt and its error stay visible while the job waits to retry. */
async function recordTransient(
  db: Sql,
  source: DaySource,
  o: FetchDayOptions,
  error: Error,
  job?: JobInfo,
): Promise<void> {
  const lastAttempt = job !== undefined && job.attempts >= job.maxAttempts;
  await db`
    insert into fetch_state as f (source, date, status, regions, attempts, last_error)
    values (${source}, ${o.date}, ${lastAttempt ? 'failed' : 'pending'}, ${o.regions as string[]}::text[], 1,
            ${error.message})
    on conflict (source, date) do update set
      status = case when f.status = 'done' then 'done' else excluded.status end,
      attempts = f.attempts + 1, last_error = excluded.last_error, updated_at = now()`;
}

/** One log line per fetched day. */
export function describeOutcome(o: FetchDayOutcome): string {
  const detail = o.error
    ? `: ${o.error}`
    : `, ${o.races} races, ${o.runners} runners, ${o.enrichQueued} horses queued`;
  return `${o.source} ${o.date} ${o.status} (${o.calls} calls)${detail}`;
}

function asError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}
