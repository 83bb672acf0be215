import { describe, expect, test } from 'vitest';
import { fetchRacecardsDay, fetchResultsDay } from '../../src/racing/fetch-day.ts';
import type { RacingApiClient } from '../../src/racing-api/client.ts';
import { type ApiResult, TransientApiError } from '../../src/racing-api/result.ts';
import { resultRace, resultRunner } from '../helpers/api-fixtures.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();
const TODAY = '2025-06-01';

type Answer = ApiResult<unknown> | Error;

/** A client answering results pages from a script, recording every query. */
function scriptedClient(answers: Answer[]) {
  const calls: { skip: number; limit: number }[] = [];
  const client = {
    async resultsPage(q: { skip: number; limit: number }) {
      calls.push({ skip: q.skip, limit: q.limit });
      const a = answers.shift();
      if (!a) throw new Error('unexpected call');
      if (a instanceof Error) throw a;
      return a;
    },
    racecardsPage: async () => {
      throw new Error('unexpected call');
    },
    horsePro: async () => {
      throw new Error('unexpected call');
    },
    courses: async () => {
      throw new Error('unexpected call');
    },
  } as unknown as RacingApiClient;
  return { client, calls };
}

function page(races: unknown[], total: number, skip = 0): ApiResult<unknown> {
  const data = { results: races, total, limit: 50, skip, query: [] };
  return { ok: true, status: 200, data, bodyText: JSON.stringify(data), bytes: 100 };
}

const races = (date: string, n: number, from = 0) =>
  Array.from({ length: n }, (_, i) =>
    resultRace({
      race_id: `rac_${date.replaceAll('-', '')}${from + i}`,
      date,
      runners: [resultRunner({ horse_id: `hrs_${date.replaceAll('-', '')}${from + i}` })],
    }),
  );

async function state(date: string) {
  const [row] = await db.sql`
    select status, pages, total, races, runners, attempts, http_status, last_error from fetch_state
    where source = 'results' and date = ${date}`;
  return row;
}

const opts = (date: string) => ({ date, regions: ['gb', 'ire'], enrich: false, force: false, today: TODAY });

describe('fetch one results day', () => {
  test('pages with skip += page length until total, in one transaction with the checkpoint', async () => {
    const date = '2025-01-04';
    const { client, calls } = scriptedClient([page(races(date, 50), 70), page(races(date, 20, 50), 70, 50)]);
    const o = await fetchResultsDay(db.sql, client, opts(date));
    expect(calls).toEqual([
      { skip: 0, limit: 50 },
      { skip: 50, limit: 50 },
    ]);
    expect(o).toMatchObject({ status: 'done', calls: 2, pages: 2, total: 70, races: 70, runners: 70 });
    expect(await state(date)).toMatchObject({
      status: 'done',
      pages: 2,
      total: 70,
      races: 70,
      http_status: 200,
    });
    const raw = await db.sql`select request_key, body, body::jsonb -> 'skip' as skip
                             from raw_responses where date = ${date} order by page`;
    expect(raw.map((r) => r.request_key)).toEqual([`results:${date}:gb,ire:0`, `results:${date}:gb,ire:50`]);
    // The archive holds each page exactly as the API sent it, and stays queryable as JSON.
    expect(raw[1]?.body).toBe(
      JSON.stringify({ results: races(date, 20, 50), total: 70, limit: 50, skip: 50, query: [] }),
    );
    expect(raw.map((r) => r.skip)).toEqual([0, 50]);
  });

  test('an empty page ends paging even when total overstates', async () => {
    const date = '2025-01-05';
    const { client, calls } = scriptedClient([page(races(date, 50), 120), page([], 120, 50)]);
    const o = await fetchResultsDay(db.sql, client, opts(date));
    expect(calls).toHaveLength(2);
    expect(o).toMatchObject({ status: 'done', races: 50 });
  });

  test('404 for the date is an empty day: done with zero races, the 404 recorded', async () => {
    const date = '2024-12-25';
    const notFound: ApiResult<unknown> = {
      ok: false,
      reason: 'not_found',
      status: 404,
      body: { detail: 'Not Found' },
      bodyText: null,
      error: 'Not Found',
    };
    const { client } = scriptedClient([notFound]);
    expect(await fetchResultsDay(db.sql, client, opts(date))).toMatchObject({ status: 'done', races: 0 });
    expect(await state(date)).toMatchObject({ status: 'done', races: 0, runners: 0, http_status: 404 });
    // Done means done: the next run makes no call.
    const again = scriptedClient([]);
    expect(await fetchResultsDay(db.sql, again.client, opts(date))).toMatchObject({
      status: 'skipped',
      calls: 0,
    });
  });

  test('403 and 422 are terminal: failed with the message, nothing written', async () => {
    for (const [date, reason, status] of [
      ['2025-01-06', 'forbidden', 403],
      ['2025-01-07', 'unprocessable', 422],
    ] as const) {
      const { client } = scriptedClient([
        {
          ok: false,
          reason,
          status,
          body: { detail: 'nope' },
          bodyText: null,
          error: `HTTP ${status}: nope`,
        },
      ]);
      expect(await fetchResultsDay(db.sql, client, opts(date))).toMatchObject({ status: 'failed' });
      expect(await state(date)).toMatchObject({ status: 'failed', http_status: status });
      expect((await state(date))?.last_error).toContain(`HTTP ${status}`);
    }
  });

  test('a transient error is recorded and thrown; on the last attempt the date is marked failed', async () => {
    const date = '2025-01-08';
    const first = scriptedClient([new TransientApiError('HTTP 503 after 5 attempts')]);
    await expect(
      fetchResultsDay(db.sql, first.client, opts(date), { attempts: 1, maxAttempts: 8 }),
    ).rejects.toThrow(TransientApiError);
    expect(await state(date)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: 'HTTP 503 after 5 attempts',
    });
    const last = scriptedClient([new TransientApiError('HTTP 503 after 5 attempts')]);
    await expect(
      fetchResultsDay(db.sql, last.client, opts(date), { attempts: 8, maxAttempts: 8 }),
    ).rejects.toThrow();
    expect(await state(date)).toMatchObject({ status: 'failed', attempts: 2 });
  });

  test('a racecard date outside the window makes no call', async () => {
    const { client } = scriptedClient([]);
    const o = await fetchRacecardsDay(db.sql, client, { ...opts('2025-06-09'), today: TODAY });
    expect(o).toMatchObject({ status: 'outside_window', calls: 0 });
  });
});
