// String quirks of The Racing API -> typed values (racing-api.md §9). Every scalar arrives as a string;
// '-', '–' (en dash) and '' all mean "no value". Nothing here calls Number() on raw input.

type Raw = string | number | null | undefined;

const EMPTY = new Set(['', '-', '–', '—']);

/** Trimmed text, or null for the API's empty markers. */
export function text(value: Raw): string | null {
  if (value === null || value === undefined) return null;
  const s = String(value).trim();
  return EMPTY.has(s) ? null : s;
}

const DECIMAL = /^[+-]?(\d+(\.\d*)?|\.\d+)$/;
const INTEGER = /^[+-]?\d+$/;

/** A decimal number, or null when the string is not one (never NaN). */
export function decimal(value: Raw): number | null {
  const s = text(value);
  if (s === null || !DECIMAL.test(s)) return null;
  return Number.parseFloat(s);
}

/** A whole number, or null when the string is not exactly one ('12a', '1.5', '-' are null). */
export function integer(value: Raw): number | null {
  const s = text(value);
  if (s === null || !INTEGER.test(s)) return null;
  const n = Number.parseInt(s, 10);
  return Number.isSafeInteger(n) ? n : null;
}

/** 'YYYY-MM-DD' when the string is a real calendar date. */
export function isoDate(value: Raw): string | null {
  const s = text(value);
  if (s === null || !/^\d{4}-\d{2}-\d{2}$/.test(s)) return null;
  const d = new Date(`${s}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === s ? s : null;
}

/**
 * off_dt ('2025-10-13T14:12:00+01:00') as an ISO instant with its offset kept; off_time ('2:12', a 12-hour
 * clock without am/pm) is never used.
 */
export function offDateTime(value: Raw): string | null {
  const s = text(value);
  if (s === null) return null;
  return Number.isNaN(Date.parse(s)) ? null : s;
}

export interface Money {
  amount: number | null;
  currency: string | null;
}

const CURRENCY_SYMBOLS: Record<string, string> = { '£': 'GBP', '€': 'EUR', $: 'USD' };

/**
 * '£4,193' -> 4193 GBP, '€5,900' -> 5900 EUR, '4187.20' -> 4187.2 with the given default currency
 * (result runner prizes carry no symbol for GB races).
 */
export function money(value: Raw, defaultCurrency: string | null = null): Money {
  const s = text(value);
  if (s === null) return { amount: null, currency: null };
  const symbol = s[0] && CURRENCY_SYMBOLS[s[0]];
  const amount = decimal((symbol ? s.slice(1) : s).replaceAll(',', '').trim());
  if (amount === null) return { amount: null, currency: null };
  return { amount, currency: symbol || defaultCurrency };
}

/** Finishing time 'm:ss.xx' ('2:19.97' -> 139.97 s); plain seconds ('59.10') accepted too. */
export function timeSeconds(value: Raw): number | null {
  const s = text(value);
  if (s === null) return null;
  const m = /^(?:(\d+):)?(\d{1,2}(?:\.\d+)?)$/.exec(s);
  if (!m) return null;
  const seconds = (m[1] ? Number.parseInt(m[1], 10) * 60 : 0) + Number.parseFloat(m[2] ?? '0');
  return Math.round(seconds * 100) / 100;
}

export interface Position {
  position: string | null;
  positionNum: number | null;
}

/** '1' -> 1; non-finishers ('PU', 'UR', 'F', 'BD', 'RO', …) keep their text with a NULL number. */
export function position(value: Raw): Position {
  const p = text(value);
  const n = integer(p);
  return { position: p, positionNum: n !== null && n > 0 ? n : null };
}

/** Stones-pounds '9-5' -> 131 lb. */
export function stonesPoundsToLbs(value: Raw): number | null {
  const s = text(value);
  const m = s === null ? null : /^(\d{1,2})-(\d{1,2})$/.exec(s);
  if (!m) return null;
  return Number.parseInt(m[1] ?? '0', 10) * 14 + Number.parseInt(m[2] ?? '0', 10);
}

/** Weight as stones-pounds text, but only when it really has that shape. */
export function weightStLbs(value: Raw): string | null {
  const s = text(value);
  return s !== null && /^\d{1,2}-\d{1,2}$/.test(s) ? s : null;
}

const YARDS_PER_MILE = 1760;
const YARDS_PER_FURLONG = 220;

/** Racecard distance '2m53y', '1m3f', '5f110y', '7f' -> yards (1 mile = 8 furlongs = 1760 yards). */
export function distanceToYards(value: Raw): number | null {
  const s = text(value)?.replaceAll(' ', '');
  if (!s) return null;
  const m = /^(?:(\d+)m)?(?:(\d+(?:\.\d+)?)f)?(?:(\d+)y)?$/.exec(s);
  if (!m || (!m[1] && !m[2] && !m[3])) return null;
  const miles = m[1] ? Number.parseInt(m[1], 10) : 0;
  const furlongs = m[2] ? Number.parseFloat(m[2]) : 0;
  const yards = m[3] ? Number.parseInt(m[3], 10) : 0;
  return Math.round(miles * YARDS_PER_MILE + furlongs * YARDS_PER_FURLONG + yards);
}

/** Furlongs from racecard '16.0' or results '11f' / '7.5f'. */
export function furlongs(value: Raw): number | null {
  const s = text(value);
  if (s === null) return null;
  return decimal(s.endsWith('f') ? s.slice(0, -1) : s);
}

const SEX_WORDS: Record<string, string> = {
  colt: 'C',
  filly: 'F',
  gelding: 'G',
  mare: 'M',
  horse: 'H',
  stallion: 'H',
  rig: 'R',
};
const SEX_CODES = new Set(['C', 'F', 'G', 'M', 'H', 'R']);

/** Sex code from a code ('G') or, when only the word is present, from the word ('gelding'). */
export function sexCode(code: Raw, word?: Raw): string | null {
  const c = text(code)?.toUpperCase() ?? null;
  if (c && SEX_CODES.has(c)) return c;
  const w = text(word)?.toLowerCase() ?? null;
  if (w && SEX_WORDS[w]) return SEX_WORDS[w];
  // Results put the code in `sex`.
  const fromWord = text(word)?.toUpperCase() ?? null;
  return fromWord && SEX_CODES.has(fromWord) ? fromWord : null;
}

/** The sex as a word, only when the API gave a word (results give codes only). */
export function sexWord(value: Raw): string | null {
  const w = text(value)?.toLowerCase() ?? null;
  return w && SEX_WORDS[w] ? w : null;
}

// Region suffixes such as '(IRE)', '(GB)', '(USA)'. '(AW)' marks an all-weather course, not a region.
const REGION_SUFFIX = /\s*\(([A-Z]{2,4})\)$/;

/** 'Veraison (IRE)' -> { name: 'Veraison', region: 'IRE' }; 'Kempton (AW)' is left alone. */
export function splitRegionSuffix(value: Raw): { name: string | null; region: string | null } {
  const s = text(value);
  if (s === null) return { name: null, region: null };
  const m = REGION_SUFFIX.exec(s);
  if (!m || m[1] === 'AW') return { name: s, region: null };
  return { name: s.slice(0, m.index).trim() || s, region: m[1] ?? null };
}

/** The API's region codes are upper case in data ('GB', 'IRE'). */
export function regionCode(value: Raw): string | null {
  return text(value)?.toUpperCase() ?? null;
}

/** API ids: '' (unknown pedigree) -> NULL. */
export function id(value: Raw): string | null {
  return text(value);
}

export const REGION_NAMES: Record<string, string> = {
  GB: 'Great Britain',
  IRE: 'Ireland',
  FR: 'France',
  USA: 'United States',
};

/**
 * colour_code from colour: /horses/{id}/pro gives both ('b' -> 'B', 'b/br' -> 'B/BR'), racecards only the
 * colour. The one rule for every source.
 */
export function colourCode(colour: Raw): string | null {
  return text(colour)?.toUpperCase() ?? null;
}

const UK_OFFSET = new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/London', timeZoneName: 'longOffset' });

/**
 * UK wall-clock time 'YYYY-MM-DD HH:MM:SS' (racecard odds' `updated`, history's `changed_at`) -> ISO instant
 * with the UK offset of that moment ('2025-10-13T14:11:07+01:00'). An already-offset ISO string passes through.
 */
export function ukLocalTimestamp(value: Raw): string | null {
  const s = text(value);
  if (s === null) return null;
  const m = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}(?::\d{2})?)$/.exec(s);
  if (!m) return Number.isNaN(Date.parse(s)) ? null : s;
  const local = `${m[1]}T${m[2]}`;
  const asUtc = Date.parse(`${local}Z`);
  if (Number.isNaN(asUtc)) return null;
  // The offset at the UTC reading is the offset at the local reading except within an hour of a clock change.
  return `${local}${ukOffsetAt(asUtc)}`;
}

const HOUR_MS = 3_600_000;
/** UK offsets by UTC hour: the clocks change on the hour, and Intl was most of a racecard's mapping time. */
const offsetByHour = new Map<number, string>();

function ukOffsetAt(utcMs: number): string {
  const hour = Math.floor(utcMs / HOUR_MS);
  let offset = offsetByHour.get(hour);
  if (offset === undefined) {
    const name =
      UK_OFFSET.formatToParts(new Date(hour * HOUR_MS)).find((p) => p.type === 'timeZoneName')?.value ??
      'GMT';
    offset = name === 'GMT' ? '+00:00' : name.slice(3);
    if (offsetByHour.size >= 200_000) offsetByHour.clear();
    offsetByHour.set(hour, offset);
  }
  return offset;
}

/**
 * Tote dividends '£9.50' or several '£2.80 £1.50 £2.20' (tote_pl) -> their amounts and the one currency;
 * null amounts when any part is not money.
 */
export function toteAmounts(value: Raw): { amounts: number[] | null; currency: string | null } {
  const s = text(value);
  if (s === null) return { amounts: null, currency: null };
  const parts = s.split(/\s+/).map((p) => money(p));
  if (parts.some((p) => p.amount === null)) return { amounts: null, currency: null };
  return { amounts: parts.map((p) => p.amount as number), currency: parts[0]?.currency ?? null };
}
