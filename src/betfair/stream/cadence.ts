/**
 * When a replay writes snapshots. Whatever the cadence, the last state before the off and the final
 * state of each market are always written too (see replay.ts).
 *   every-change: after every instant (publish time) at which the market changed;
 *   every:        the last state in each `ms`-wide window of publish time (`--every 1s`);
 *   at:           the state at the scheduled off (marketTime) plus each offset (`--at -60m,-10m,-1m,0`).
 */
export type Cadence =
  | { kind: 'every-change' }
  | { kind: 'every'; ms: number }
  | { kind: 'at'; offsetsMs: readonly number[] };

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
const DURATION = /^([+-]?\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/** `1s`, `500ms`, `-10m`, `2h`, `0` (a bare number other than 0 needs a unit) -> milliseconds. */
export function parseDuration(text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) throw new Error(`"${text}" is not a duration (examples: 1s, 500ms, -10m, 2h, 0)`);
  const value = Number(match[1]);
  if (match[2] === undefined && value !== 0) throw new Error(`"${text}" needs a unit (ms, s, m or h)`);
  return Math.round(value * UNIT_MS[match[2] ?? 'ms']!);
}

/** The cadence from CLI-style options; at most one of them may be given (default: every change). */
export function parseCadence(options: { every?: string; everyChange?: boolean; at?: string }): Cadence {
  const given = [options.every !== undefined, options.everyChange === true, options.at !== undefined];
  if (given.filter(Boolean).length > 1) throw new Error('choose one of --every, --every-change and --at');
  if (options.every !== undefined) {
    const ms = parseDuration(options.every);
    if (ms <= 0) throw new Error(`--every ${options.every}: the interval must be positive`);
    return { kind: 'every', ms };
  }
  if (options.at !== undefined) {
    const parts = options.at.split(',').map((p) => p.trim());
    if (parts.length === 0 || parts.some((p) => p === ''))
      throw new Error(`--at "${options.at}": empty offset`);
    const offsets = [...new Set(parts.map(parseDuration))].sort((a, b) => a - b);
    return { kind: 'at', offsetsMs: offsets };
  }
  return { kind: 'every-change' };
}
