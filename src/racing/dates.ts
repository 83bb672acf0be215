// Calendar rules of the API. Race dates are UK local dates, so "today" is the date in Europe/London.

/** Earliest date the results add-on serves ("query back to 1988-01-01"). */
export const EARLIEST_RESULTS_DATE = '1988-01-01';
/** /v1/racecards/pro history starts here. */
export const RACECARDS_FIRST_DATE = '2023-01-23';
/** /v1/racecards/pro serves cards up to this many days ahead. */
export const RACECARDS_DAYS_AHEAD = 7;

// Built once: constructing an Intl.DateTimeFormat costs ~0.3 ms, and every fetch asks for today.
// en-CA formats as YYYY-MM-DD.
const UK_DATE = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** Today's date in the UK as 'YYYY-MM-DD'. */
export function ukToday(now: Date = new Date()): string {
  return UK_DATE.format(now);
}

export function addDays(date: string, days: number): string {
  const d = new Date(`${date}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

/** Racecards exist for [2023-01-23, today + 7]. */
export function inRacecardWindow(date: string, today: string): boolean {
  return date >= RACECARDS_FIRST_DATE && date <= addDays(today, RACECARDS_DAYS_AHEAD);
}
