// Calendar helpers. Race dates are UK local dates, so "today" is the date in Europe/London. The API's rules
// about which dates exist are in rules.ts.

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
