// The Racing API's date rules, in one place: which dates each source serves, which dates are final, and
// which job payloads ask for something the API cannot have. Dates are UK dates ('YYYY-MM-DD'); `today` is
// ukToday() (src/racing/dates.ts), passed in so callers and tests agree on one "today".

import { addDays } from './dates.ts';

/** Earliest date the results add-on serves ("query back to 1988-01-01"). */
export const EARLIEST_RESULTS_DATE = '1988-01-01';
/** /v1/racecards/pro history starts here. */
export const RACECARDS_FIRST_DATE = '2023-01-23';
/** /v1/racecards/pro serves cards up to this many days ahead. */
export const RACECARDS_DAYS_AHEAD = 7;

/** The racecard window as words, for messages and checkpoints. */
export const RACECARD_WINDOW_TEXT = `${RACECARDS_FIRST_DATE} to today + ${RACECARDS_DAYS_AHEAD}`;

/** Racecards exist for [RACECARDS_FIRST_DATE, today + RACECARDS_DAYS_AHEAD]. */
export function racecardWindow(today: string): { first: string; last: string } {
  return { first: RACECARDS_FIRST_DATE, last: addDays(today, RACECARDS_DAYS_AHEAD) };
}

export function inRacecardWindow(date: string, today: string): boolean {
  const w = racecardWindow(today);
  return date >= w.first && date <= w.last;
}

/** Results exist up to today (today's come in during the day); never for a future date. */
export function hasResults(date: string, today: string): boolean {
  return date <= today;
}

/**
 * A date is final (a 'done' fetch of it is never repeated) only before today: from today on cards are
 * still declared and results still come in, so such a date is fetched again whenever it is queued.
 */
export function isFinal(date: string, today: string): boolean {
  return date < today;
}

/** Why a backfill_dates range cannot be planned, or undefined: nothing is served after the racecard window. */
export function backfillRangeProblem(endDate: string, today: string): string | undefined {
  const { last } = racecardWindow(today);
  if (endDate > last) return `end_date ${endDate} is after ${last} (today + ${RACECARDS_DAYS_AHEAD})`;
  return undefined;
}

/** Why fetch_results_day cannot fetch this date, or undefined. */
export function resultsDateProblem(date: string, today: string): string | undefined {
  return hasResults(date, today) ? undefined : `date ${date} is in the future (no results yet)`;
}
