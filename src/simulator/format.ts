/** Formatting helpers for the API's string quirks: 12-hour times, UK offsets, distances, prices, money, weights. */

const DAY_MS = 86_400_000;

export function parseDate(date: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return null;
  const ms = Date.parse(`${date}T00:00:00Z`);
  if (Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== date) return null;
  return ms;
}

export function addDays(date: string, days: number): string {
  const ms = parseDate(date);
  if (ms === null) throw new Error(`bad date ${date}`);
  return new Date(ms + days * DAY_MS).toISOString().slice(0, 10);
}

export function todayUtc(): string {
  return new Date().toISOString().slice(0, 10);
}

/** Last Sunday of a month (UTC day number in ms). */
function lastSunday(year: number, month: number): number {
  const lastDay = Date.UTC(year, month + 1, 0);
  return lastDay - new Date(lastDay).getUTCDay() * DAY_MS;
}

/** British Summer Time (and Irish Standard Time) for a local race date: last Sunday of March to last Sunday of October. */
export function isSummerTime(date: string): boolean {
  const ms = parseDate(date) ?? 0;
  const year = new Date(ms).getUTCFullYear();
  return ms >= lastSunday(year, 2) && ms < lastSunday(year, 9);
}

/** `off_time`/`off`: 12-hour clock without am/pm ('2:12' for 14:12). */
export function twelveHour(minutes: number): string {
  const h = Math.floor(minutes / 60) % 12 || 12;
  return `${h}:${String(minutes % 60).padStart(2, '0')}`;
}

export function offDt(date: string, minutes: number): string {
  const hh = String(Math.floor(minutes / 60)).padStart(2, '0');
  const mm = String(minutes % 60).padStart(2, '0');
  return `${date}T${hh}:${mm}:00${isSummerTime(date) ? '+01:00' : '+00:00'}`;
}

/** '2m53y', '1m3f', '5f', '7f110y' from exact yards. */
export function distanceText(yards: number): string {
  const miles = Math.floor(yards / 1760);
  const furlongs = Math.floor((yards - miles * 1760) / 220);
  const rest = yards - miles * 1760 - furlongs * 220;
  return `${miles ? `${miles}m` : ''}${furlongs ? `${furlongs}f` : ''}${rest ? `${rest}y` : ''}` || '0y';
}

export function roundedFurlongs(yards: number): number {
  return Math.round(yards / 220);
}

export function furlongsText(furlongs: number): string {
  const miles = Math.floor(furlongs / 8);
  const rest = furlongs - miles * 8;
  return `${miles ? `${miles}m` : ''}${rest ? `${rest}f` : ''}`;
}

/** '9-5' for 131 lb. */
export function stonesPounds(lbs: number): string {
  return `${Math.floor(lbs / 14)}-${lbs % 14}`;
}

/** 'm:ss.xx' */
export function raceTime(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds - m * 60;
  return `${m}:${s.toFixed(2).padStart(5, '0')}`;
}

/** '£4,193' / '€5,900' */
export function money(amount: number, currency: 'GBP' | 'EUR'): string {
  return `${currency === 'GBP' ? '£' : '€'}${String(Math.round(amount)).replace(/\B(?=(\d{3})+(?!\d))/g, ',')}`;
}

/** Beaten lengths as the API prints them: '0', '.75', '0.05', '2.5', '11'. */
export function lengths(value: number): string {
  if (value === 0) return '0';
  const rounded = Math.round(value * 100) / 100;
  const text = String(rounded);
  return text.startsWith('0.') && (rounded * 4) % 1 === 0 ? text.slice(1) : text;
}

/** Standard bookmaker prices as [numerator, denominator]. */
export const PRICE_LADDER: readonly (readonly [number, number])[] = [
  [1, 5],
  [1, 4],
  [2, 7],
  [1, 3],
  [2, 5],
  [4, 9],
  [1, 2],
  [4, 7],
  [8, 13],
  [4, 6],
  [8, 11],
  [4, 5],
  [5, 6],
  [10, 11],
  [1, 1],
  [11, 10],
  [6, 5],
  [5, 4],
  [11, 8],
  [6, 4],
  [13, 8],
  [7, 4],
  [15, 8],
  [2, 1],
  [9, 4],
  [5, 2],
  [11, 4],
  [3, 1],
  [10, 3],
  [7, 2],
  [4, 1],
  [9, 2],
  [5, 1],
  [11, 2],
  [6, 1],
  [13, 2],
  [7, 1],
  [15, 2],
  [8, 1],
  [17, 2],
  [9, 1],
  [10, 1],
  [11, 1],
  [12, 1],
  [14, 1],
  [16, 1],
  [18, 1],
  [20, 1],
  [22, 1],
  [25, 1],
  [28, 1],
  [33, 1],
  [40, 1],
  [50, 1],
  [66, 1],
  [80, 1],
  [100, 1],
  [125, 1],
  [150, 1],
  [200, 1],
  [250, 1],
];

const LADDER_LOG_DECIMALS = PRICE_LADDER.map(([n, d]) => Math.log(n / d + 1));

/** Index of the ladder price closest (in log odds) to these decimal odds. */
export function nearestPrice(decimal: number): number {
  const target = Math.log(decimal);
  let lo = 0;
  let hi = LADDER_LOG_DECIMALS.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((LADDER_LOG_DECIMALS[mid] as number) < target) lo = mid + 1;
    else hi = mid;
  }
  if (
    lo > 0 &&
    target - (LADDER_LOG_DECIMALS[lo - 1] as number) < (LADDER_LOG_DECIMALS[lo] as number) - target
  )
    return lo - 1;
  return lo;
}

export function fractional(ladderIndex: number): string {
  const [n, d] = PRICE_LADDER[ladderIndex] as readonly [number, number];
  return n === d ? 'Evens' : `${n}/${d}`;
}

export function decimalOdds(ladderIndex: number): number {
  const [n, d] = PRICE_LADDER[ladderIndex] as readonly [number, number];
  return n / d + 1;
}

/** Bookmaker decimal as printed in racecard odds: '23', '9.5', '2.62'. */
export function shortDecimal(value: number): string {
  return String(Math.round(value * 100) / 100);
}
