// The checks of `npm run doctor` and of the worker's start, per account, through the shared rate limit and
// audited in api_requests like every call. They use a client pinned to the account (sent even while it is
// stopped), and their answers update the shared state: credentials that answer clear a stop, a 401 on a
// recent results date sets it, and what the plan lacks is recorded (api_plan_gaps) or cleared.

import {
  ADD_ON_REASON,
  clearPlanGap,
  endpointReason,
  type GapSource,
  lastDateBeforeResultsWindow,
  markOk,
  markUnauthorized,
  probeDate,
  recordPlanGap,
} from './accounts.ts';
import type { RacingApiAccount, RacingApiConfig } from './config.ts';
import type { Sql } from './db.ts';
import { addDays, ukToday } from './racing/dates.ts';
import { createRacingApiClient, type RacingApiClient } from './racing-api/client.ts';
import { fastApiDetail } from './racing-api/request.ts';
import type { ApiResult } from './racing-api/result.ts';

export interface CheckLine {
  check: string;
  ok: boolean;
  detail: string;
  /** What to do when not ok. */
  remedy?: string;
}

function pinned(sql: Sql, config: RacingApiConfig, account: RacingApiAccount): RacingApiClient {
  return createRacingApiClient({ config, sql, pinnedAccountId: account.id });
}

function refused(res: ApiResult<unknown>): boolean {
  return !res.ok && (res.reason === 'unauthorized' || res.reason === 'forbidden');
}

function detailOf(res: ApiResult<unknown>): string {
  return res.ok ? `HTTP ${res.status}` : `HTTP ${res.status}: ${fastApiDetail(res.body) ?? res.error}`;
}

/** One call: a recent results date. Updates the account's state; transient failures throw. */
export async function checkCredentials(
  sql: Sql,
  config: RacingApiConfig,
  account: RacingApiAccount,
): Promise<CheckLine> {
  const date = probeDate(ukToday());
  const res = await pinned(sql, config, account).resultsPage({ date, regions: ['gb'], skip: 0, limit: 1 });
  const check = `credentials of account ${account.id} (results ${date})`;
  if (refused(res)) {
    await markUnauthorized(sql, account.id, detailOf(res));
    return {
      check,
      ok: false,
      detail: detailOf(res),
      remedy:
        'check RACING_API_USERNAME/RACING_API_PASSWORD (or RACING_API_ACCOUNTS), and that the account is active and paid',
    };
  }
  if (res.ok) await markOk(sql, account.id);
  return { check, ok: res.ok, detail: detailOf(res) };
}

/**
 * At most 4 calls: credentials (a recent results date, which every paid plan answers), results older than
 * 12 months (the add-on), racecards pro, horses pro. The plan answers are recorded as gaps (or cleared).
 */
export async function checkAccount(
  sql: Sql,
  config: RacingApiConfig,
  account: RacingApiAccount,
): Promise<CheckLine[]> {
  const credentials = await checkCredentials(sql, config, account);
  if (!credentials.ok) return [credentials];
  const client = pinned(sql, config, account);
  const today = ukToday();
  const oldDate = addDays(lastDateBeforeResultsWindow(today), -30);
  const probes: { source: GapSource; check: string; call: () => Promise<ApiResult<unknown>> }[] = [
    {
      source: 'results',
      check: `results older than 12 months (${oldDate})`,
      call: () => client.resultsPage({ date: oldDate, regions: ['gb'], skip: 0, limit: 1 }),
    },
    {
      source: 'racecards',
      check: `racecards pro (${today})`,
      call: () => client.racecardsPage({ date: today, regions: ['gb'], skip: 0, limit: 1 }),
    },
    // An unknown horse: 404 means the endpoint is in the plan, 401 that it is not.
    { source: 'horses', check: 'horses pro', call: () => client.horsePro('hrs_doctor_probe') },
  ];
  const lines: CheckLine[] = [credentials];
  for (const probe of probes) {
    const res = await probe.call();
    const message = res.ok ? null : (fastApiDetail(res.body) ?? res.error);
    if (refused(res)) {
      const addOn = probe.source === 'results';
      const reason = addOn ? ADD_ON_REASON : endpointReason(probe.source);
      await recordPlanGap(sql, {
        accountId: account.id,
        source: probe.source,
        firstDate: null,
        lastDate: addOn ? lastDateBeforeResultsWindow(today) : null,
        reason,
        message,
        foundBy: 'doctor',
      });
      lines.push({
        check: probe.check,
        ok: false,
        detail: `not in the plan: ${reason} (${detailOf(res)})`,
        remedy: addOn
          ? 'buy the historical results add-on, or backfill only the last 12 months (those dates become not_in_plan)'
          : 'upgrade to the Pro plan, or leave that source out (its dates become not_in_plan)',
      });
      continue;
    }
    const answered = res.ok || res.reason === 'not_found';
    if (answered) await clearPlanGap(sql, account.id, probe.source);
    lines.push({ check: probe.check, ok: answered, detail: detailOf(res) });
  }
  const rates = Object.entries(account.endpointRates).map(([e, r]) => `${e} ${r}/s`);
  lines.push({
    check: `budgets of account ${account.id}`,
    ok: true,
    detail: `${account.ratePerSec} requests/s${rates.length ? `; own buckets: ${rates.join(', ')}` : ''}`,
  });
  return lines;
}
