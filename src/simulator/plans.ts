/**
 * What each Racing API plan may call, for the simulator's 401 answers (reference: racing-api.md §1 and the endpoint
 * table of §4). Plans: Free < Basic < Standard < Pro; the historical results add-on is Pro-only and removes the
 * 12-month window on /v1/results. The real 401 bodies were never captured: the texts below are the simulator's own,
 * in FastAPI's {"detail": "..."} shape.
 */
import { parseDate } from './format.ts';

export type Plan = 'basic' | 'standard' | 'pro' | 'pro-historical';

export const PLANS: readonly Plan[] = ['basic', 'standard', 'pro', 'pro-historical'];

/** Every endpoint is open, as the simulator always behaved before plans existed. */
export const DEFAULT_PLAN: Plan = 'pro-historical';

export type PlanEndpoint = 'results' | 'racecards' | 'horses' | 'courses';

const RANK: Record<Plan, number> = { basic: 1, standard: 2, pro: 3, 'pro-historical': 3 };

/** The lowest plan (by rank) that serves each endpoint the simulator knows; courses are on the free plan. */
const MINIMUM: Record<PlanEndpoint, { rank: number; name: string; path: string }> = {
  courses: { rank: 0, name: 'Free', path: '/v1/courses' },
  results: { rank: 2, name: 'Standard', path: '/v1/results' },
  racecards: { rank: 3, name: 'Pro', path: '/v1/racecards/pro' },
  horses: { rank: 3, name: 'Pro', path: '/v1/horses/{horse_id}/pro' },
};

export function isPlan(value: string): value is Plan {
  return (PLANS as readonly string[]).includes(value);
}

/** The 401 detail when the plan lacks the endpoint, or null when it includes it. */
export function endpointRefusal(plan: Plan, endpoint: PlanEndpoint): string | null {
  const minimum = MINIMUM[endpoint];
  if (RANK[plan] >= minimum.rank) return null;
  return `Your plan does not include ${minimum.path}: it requires the ${minimum.name} plan or above`;
}

export const HISTORICAL_REFUSAL =
  'Your plan does not include results older than 12 months: they require the historical results add-on (Pro plan)';

/** First date /v1/results serves without the add-on: the same calendar day 12 months before today (28 Feb for 29 Feb). */
export function resultsWindowStart(today: string): string {
  if (parseDate(today) === null) throw new Error(`today must be YYYY-MM-DD, not '${today}'`);
  const year = String(Number(today.slice(0, 4)) - 1).padStart(4, '0');
  const candidate = `${year}${today.slice(4)}`;
  return parseDate(candidate) === null ? `${year}-02-28` : candidate;
}

/** The 401 detail when the plan cannot see results from `earliest` on, or null when it can. */
export function resultsDateRefusal(plan: Plan, earliest: string, today: string): string | null {
  if (plan === 'pro-historical') return null;
  return earliest < resultsWindowStart(today) ? HISTORICAL_REFUSAL : null;
}
