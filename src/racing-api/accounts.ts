// Which account sends a call, and what a 401/403 means (src/accounts.ts holds the shared state).
// - A call goes to the account, among those not stopped and whose plan covers it, whose next rate-limit
//   slot comes soonest. None not stopped: AccountStoppedError (the job waits). Only plan gaps: 'not_in_plan'.
// - A 403 stops the account. A 401 is claimed by one caller, who probes a recent results date on the same
//   account: a 401 there stops the account (bad credentials); an answer there means the first 401 was the
//   plan, recorded once as a gap so that the dates it covers are never called again.

import {
  ACCOUNT_CHECKING_RETRY_MS,
  ACCOUNT_RECHECK_MS,
  AccountStoppedError,
  ADD_ON_REASON,
  accountViews,
  claimCheck,
  endpointReason,
  type GapSource,
  gapCovers,
  lastDateBeforeResultsWindow,
  markOk,
  markUnauthorized,
  type PlanGap,
  probeDate,
  recordPlanGap,
} from '../accounts.ts';
import type { Endpoint } from '../config.ts';
import { ukToday } from '../racing/dates.ts';
import { abortableSleep, bucketForAccount, slotWaits } from '../rate-limit.ts';
import type { AccountHandle, CallContext, CallSpec } from './request.ts';
import { fastApiDetail } from './request.ts';
import type { ApiResult } from './result.ts';

type Choice = { kind: 'send'; handle: AccountHandle } | { kind: 'not_in_plan'; gap: PlanGap };

function gapSource(endpoint: Endpoint): GapSource | undefined {
  return endpoint === 'courses' ? undefined : endpoint;
}

export async function chooseAccount<T>(ctx: CallContext, spec: CallSpec<T>): Promise<Choice> {
  const ids = ctx.accounts.map((h) => h.account.id);
  let views = await accountViews(ctx.sql, ids);
  // An account under a 401 check (a probe in flight) is waited for briefly rather than skipped: its verdict
  // may be a plan gap that settles this call without sending it.
  for (let waited = 0; waited < CHECK_WAIT_MS; waited += CHECK_POLL_MS) {
    const states = [...views.values()].map((v) => v.state);
    if (states.includes('ok') || !states.includes('checking')) break;
    await abortableSleep(CHECK_POLL_MS, ctx.signal);
    views = await accountViews(ctx.sql, ids);
  }
  const source = gapSource(spec.endpoint);
  let gap: PlanGap | undefined;
  const open: AccountHandle[] = [];
  for (const handle of ctx.accounts) {
    const view = views.get(handle.account.id);
    if (view === undefined || view.state !== 'ok') continue;
    const covering = view.gaps.find((g) => g.source === source && gapCovers(g, spec.date));
    if (covering) gap ??= covering;
    else open.push(handle);
  }
  const [first] = open;
  if (first === undefined) {
    if (gap) return { kind: 'not_in_plan', gap };
    const stopped = [...views.entries()].map(
      ([id, v]) => `${id} ${v.state}${v.message ? ` (${v.message})` : ''}`,
    );
    const checking = [...views.values()].some((v) => v.state === 'checking');
    throw new AccountStoppedError(
      `no Racing API account can send: ${stopped.join('; ')}`,
      checking ? ACCOUNT_CHECKING_RETRY_MS : ACCOUNT_RECHECK_MS,
    );
  }
  if (open.length === 1) return { kind: 'send', handle: first };
  const keyOf = (h: AccountHandle) => bucketForAccount(ctx.config, h.account, spec.endpoint).key;
  const waits = await slotWaits(ctx.sql, open.map(keyOf));
  const waitOf = (h: AccountHandle) => waits.get(keyOf(h)) ?? Number.NEGATIVE_INFINITY;
  let best = first;
  for (const handle of open) {
    if (waitOf(handle) < waitOf(best)) best = handle;
  }
  return { kind: 'send', handle: best };
}

export function notInPlan<T>(gap: PlanGap): ApiResult<T> {
  return {
    ok: false,
    reason: 'not_in_plan',
    status: 401,
    body: null,
    bodyText: null,
    error: `not in the plan of account ${gap.accountId}: ${gap.reason}`,
  };
}

type Refusal = Extract<ApiResult<unknown>, { ok: false }>;

/** After a 401/403 of a call: stop the account, or record the plan gap, or return the refusal as it is. */
export async function settleRefusal<T>(
  ctx: CallContext,
  handle: AccountHandle,
  spec: CallSpec<T>,
  refusal: Refusal,
  probe: (handle: AccountHandle, date: string) => Promise<ApiResult<unknown>>,
): Promise<ApiResult<T>> {
  const id = handle.account.id;
  const message = fastApiDetail(refusal.body) ?? refusal.error;
  if (refusal.reason === 'forbidden') {
    await markUnauthorized(ctx.sql, id, `403: ${message}`);
    throw new AccountStoppedError(`Racing API account ${id} stopped: 403 ${message}`);
  }
  // Another caller may have recorded the gap since this call was sent.
  const view = (await accountViews(ctx.sql, [id])).get(id);
  const known = view?.gaps.find((g) => g.source === gapSource(spec.endpoint) && gapCovers(g, spec.date));
  if (known) return notInPlan(known);
  if (!(await claimCheck(ctx.sql, id, message))) return afterOthersCheck(ctx, id, spec, message);
  const today = ukToday();
  let answer: ApiResult<unknown>;
  try {
    answer = await probe(handle, probeDate(today));
  } catch (error) {
    await markOk(ctx.sql, id);
    throw error;
  }
  if (!answer.ok && (answer.reason === 'unauthorized' || answer.reason === 'forbidden')) {
    const detail = fastApiDetail(answer.body) ?? answer.error;
    await markUnauthorized(ctx.sql, id, `${answer.status}: ${detail}`);
    throw new AccountStoppedError(
      `Racing API account ${id} is unauthorized (${answer.status} ${detail}): fix the credentials and restart the worker, or run \`npm run doctor\``,
    );
  }
  await markOk(ctx.sql, id);
  if (!answer.ok) return refusal as ApiResult<T>;
  const gap = gapOf(spec.endpoint, spec.date, today, id, message);
  if (gap === undefined) return refusal as ApiResult<T>;
  await recordPlanGap(ctx.sql, gap);
  return notInPlan(gap);
}

/**
 * Another caller is probing the account: wait for its verdict (bounded) and apply it, so that this date is
 * neither failed nor called again.
 */
async function afterOthersCheck<T>(
  ctx: CallContext,
  id: string,
  spec: CallSpec<T>,
  message: string,
): Promise<ApiResult<T>> {
  for (let waited = 0; waited < CHECK_WAIT_MS; waited += CHECK_POLL_MS) {
    const view = (await accountViews(ctx.sql, [id])).get(id);
    const known = view?.gaps.find((g) => g.source === gapSource(spec.endpoint) && gapCovers(g, spec.date));
    if (known) return notInPlan(known);
    if (view?.state !== 'checking') break;
    await abortableSleep(CHECK_POLL_MS, ctx.signal);
  }
  throw new AccountStoppedError(
    `Racing API account ${id} answered 401 (${message}); it is being checked`,
    ACCOUNT_CHECKING_RETRY_MS,
  );
}
const CHECK_WAIT_MS = 30_000;
const CHECK_POLL_MS = 250;

/** The gap a 401 reveals once recent results answer: old results (the add-on), or a whole endpoint. */
export function gapOf(
  endpoint: Endpoint,
  date: string | undefined,
  today: string,
  accountId: string,
  message: string | null,
): PlanGap | undefined {
  const source = gapSource(endpoint);
  if (source === undefined) return undefined;
  if (source === 'results') {
    const lastDate = lastDateBeforeResultsWindow(today);
    if (date === undefined || date > lastDate) return undefined;
    return {
      accountId,
      source,
      firstDate: null,
      lastDate,
      reason: ADD_ON_REASON,
      message,
      foundBy: 'worker',
    };
  }
  return {
    accountId,
    source,
    firstDate: null,
    lastDate: null,
    reason: endpointReason(source),
    message,
    foundBy: 'worker',
  };
}
