import type {
  LevelPriceSize,
  MarketChange,
  MarketDefinition,
  McmMessage,
  PriceSize,
  RunnerChange,
} from './types.ts';

/**
 * Generates a realistic horse-racing WIN market as Betfair's PRO historical files carry it, for
 * tests, the demo and benchmarks. Deterministic for a given seed. The story, in publish order:
 *   an image (definition + full ladders) two hours before the off; conflated deltas that move prices,
 *   add traded volume and delete levels by size 0 (atb by price, batb by level); a runner withdrawn
 *   (REMOVED, removalDate, the others' adjustment factors reduced); a second image mid-file (as after a
 *   reconnect) that no longer holds a level the deltas left; SP projections near the off; BSP
 *   reconciled and in-play at the off; in-play deltas; SUSPENDED; CLOSED with WINNER/LOSERs.
 */
export interface WinMarketOptions {
  marketId: string;
  eventId?: string;
  /** Scheduled off, ISO UTC. */
  marketTime: string;
  runners?: number;
  /** Runner names; defaults to "Runner 1".. */
  names?: readonly string[];
  /** Selection ids; default derived from the seed. */
  selectionIds?: readonly number[];
  venue?: string;
  eventName?: string;
  name?: string;
  countryCode?: string;
  seed?: number;
  /** Delta messages before the off (default 60) and in play (default 20). */
  preOffDeltas?: number;
  inPlayDeltas?: number;
  /** Index of the runner withdrawn in the morning; null for none (default 1 when there are 3+ runners). */
  removedIndex?: number | null;
  /** Minutes after marketTime at which the race goes in play (a late off is normal). */
  offDelayMinutes?: number;
}

/** The CLASSIC ladder in hundredths, 1.01 .. 1000 (Betfair "Price Increments"). */
const LADDER: number[] = (() => {
  const bands: [number, number, number][] = [
    [101, 200, 1],
    [200, 300, 2],
    [300, 400, 5],
    [400, 600, 10],
    [600, 1000, 20],
    [1000, 2000, 50],
    [2000, 3000, 100],
    [3000, 5000, 200],
    [5000, 10000, 500],
    [10000, 100000, 1000],
  ];
  const out: number[] = [];
  for (const [from, to, step] of bands) for (let p = from; p < to; p += step) out.push(p);
  out.push(100000);
  return out;
})();
const price = (tick: number) => LADDER[Math.max(0, Math.min(LADDER.length - 1, tick))]! / 100;
const tickOf = (p: number) => LADDER.indexOf(Math.round(p * 100));

/** mulberry32: small, fast, deterministic. */
function rng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const money = (x: number) => Math.round(x * 100) / 100;

interface Model {
  id: number;
  name: string;
  status: 'ACTIVE' | 'REMOVED' | 'WINNER' | 'LOSER';
  af: number;
  removalDate?: string;
  bsp?: number;
  /** Best back tick; best lay is one tick above. */
  tick: number;
  atb: Map<number, number>;
  atl: Map<number, number>;
  trd: Map<number, number>;
  ltp?: number;
  tv: number;
}

const DEPTH = 3;

export function* generateWinMarket(o: WinMarketOptions): Generator<McmMessage> {
  const random = rng(o.seed ?? 1);
  const n = o.runners ?? 8;
  const off = Date.parse(o.marketTime);
  if (!Number.isFinite(off)) throw new Error(`marketTime ${o.marketTime} is not a time`);
  const removedIndex = o.removedIndex === undefined ? (n >= 3 ? 1 : null) : o.removedIndex;
  const runners: Model[] = Array.from({ length: n }, (_, i) => {
    const tick = tickOf(2.5) + i * 12 + Math.floor(random() * 6);
    return {
      id: o.selectionIds?.[i] ?? 10_000_000 + (o.seed ?? 1) * 1000 + i,
      name: o.names?.[i] ?? `Runner ${i + 1}`,
      status: 'ACTIVE',
      af: money(100 / n),
      tick,
      atb: new Map(),
      atl: new Map(),
      trd: new Map(),
      tv: 0,
    };
  });
  for (const r of runners) {
    for (let k = 0; k < DEPTH; k++) {
      r.atb.set(price(r.tick - k), money(10 + random() * 200));
      r.atl.set(price(r.tick + 1 + k), money(10 + random() * 200));
    }
    r.ltp = price(r.tick);
    trade(r, r.ltp, money(5 + random() * 50));
  }
  let clk = 0;
  let inPlay = false;
  let status = 'OPEN';
  let bspReconciled = false;
  let version = 1000;

  const definition = (): MarketDefinition => ({
    bspMarket: true,
    turnInPlayEnabled: true,
    persistenceEnabled: true,
    marketBaseRate: 5,
    eventId: o.eventId ?? '33000000',
    eventTypeId: '7',
    numberOfWinners: 1,
    bettingType: 'ODDS',
    marketType: 'WIN',
    marketTime: new Date(off).toISOString(),
    suspendTime: new Date(off).toISOString(),
    bspReconciled,
    complete: true,
    inPlay,
    crossMatching: false,
    runnersVoidable: false,
    numberOfActiveRunners: runners.filter((r) => r.status === 'ACTIVE').length,
    betDelay: inPlay ? 1 : 0,
    status,
    venue: o.venue ?? 'Kempton',
    countryCode: o.countryCode ?? 'GB',
    timezone: 'Europe/London',
    eventName: o.eventName ?? `${o.venue ?? 'Kemp'} ${new Date(off).getUTCDate()}th`,
    name: o.name ?? '1m Hcap',
    version,
    runners: runners.map((r, i) => ({
      adjustmentFactor: r.af,
      status: r.status,
      sortPriority: i + 1,
      id: r.id,
      name: r.name,
      ...(r.removalDate ? { removalDate: r.removalDate } : {}),
      ...(r.bsp !== undefined ? { bsp: r.bsp } : {}),
    })),
  });
  const fullImage = (r: Model): RunnerChange => ({
    id: r.id,
    atb: [...r.atb] as PriceSize[],
    atl: [...r.atl] as PriceSize[],
    batb: levels(r.atb, true),
    batl: levels(r.atl, false),
    trd: [...r.trd] as PriceSize[],
    ...(r.ltp !== undefined ? { ltp: r.ltp } : {}),
    tv: money(r.tv),
  });
  const marketTv = () => money(runners.reduce((s, r) => s + r.tv, 0));
  const message = (pt: number, mc: MarketChange): McmMessage => ({
    op: 'mcm',
    clk: String(++clk),
    pt,
    mc: [mc],
  });
  const active = () => runners.filter((r) => r.status === 'ACTIVE');

  let pt = off - 2 * 3_600_000;
  yield message(pt, {
    id: o.marketId,
    img: true,
    tv: marketTv(),
    marketDefinition: definition(),
    rc: runners.map(fullImage),
  });

  const preOff = o.preOffDeltas ?? 60;
  const removeAt = removedIndex !== null ? Math.floor(preOff / 3) : -1;
  const imageAt = Math.floor((preOff * 2) / 3);
  for (let step = 0; step < preOff; step++) {
    pt += Math.floor((110 * 60_000) / preOff);
    if (step === removeAt && removedIndex !== null && runners[removedIndex]) {
      const gone = runners[removedIndex];
      gone.status = 'REMOVED';
      gone.removalDate = new Date(pt).toISOString().replace(/\.\d{3}Z$/, '.000Z');
      for (const r of active()) r.af = money(100 / active().length);
      version++;
      const rc: RunnerChange = {
        id: gone.id,
        atb: [...gone.atb.keys()].map((p) => [p, 0] as PriceSize),
        atl: [...gone.atl.keys()].map((p) => [p, 0] as PriceSize),
        batb: [...Array(DEPTH).keys()].map((k) => [k, 0, 0] as LevelPriceSize),
        batl: [...Array(DEPTH).keys()].map((k) => [k, 0, 0] as LevelPriceSize),
      };
      gone.atb.clear();
      gone.atl.clear();
      yield message(pt, { id: o.marketId, marketDefinition: definition(), rc: [rc] });
      continue;
    }
    if (step === imageAt) {
      // A full image after a reconnect: the deepest back level of the favourite is gone from it
      // without a delta, so a cache that merged the image instead of replacing would keep it.
      const fav = active()[0]!;
      const deepest = Math.min(...fav.atb.keys());
      fav.atb.delete(deepest);
      yield message(pt, {
        id: o.marketId,
        img: true,
        tv: marketTv(),
        marketDefinition: definition(),
        rc: active().map(fullImage),
      });
      continue;
    }
    const rc = active()
      .filter(() => random() < 0.5)
      .map((r) => move(r, random, step % 7 === 3));
    const nearOff = step >= preOff - 5;
    if (nearOff) {
      for (const r of active()) {
        const change = rc.find((c) => c.id === r.id) ?? { id: r.id };
        change.spn = money(price(r.tick) * (0.95 + random() * 0.1));
        change.spf = price(r.tick);
        change.spb = [[1.01, money(20 + random() * 100)]];
        change.spl = [[1000, money(20 + random() * 100)]];
        if (!rc.includes(change)) rc.push(change);
      }
    }
    if (rc.length === 0) continue;
    yield message(pt, { id: o.marketId, con: step % 5 === 0, tv: marketTv(), rc });
  }

  // The off: BSP reconciled and in play in one definition, a little after the scheduled time.
  pt = off + (o.offDelayMinutes ?? 1) * 60_000;
  inPlay = true;
  bspReconciled = true;
  version++;
  for (const r of active()) r.bsp = money(price(r.tick) * (0.97 + random() * 0.06));
  yield message(pt, { id: o.marketId, marketDefinition: definition() });

  const inPlayCount = o.inPlayDeltas ?? 20;
  for (let step = 0; step < inPlayCount; step++) {
    pt += 3_000;
    const rc = active().map((r) => move(r, random, false));
    yield message(pt, { id: o.marketId, con: true, tv: marketTv(), rc });
  }

  pt += 5_000;
  status = 'SUSPENDED';
  version++;
  yield message(pt, { id: o.marketId, marketDefinition: definition() });

  pt += 60_000;
  status = 'CLOSED';
  version++;
  const winner = active()[Math.floor(random() * active().length)]!;
  for (const r of active()) {
    r.status = r === winner ? 'WINNER' : 'LOSER';
    r.ltp = r === winner ? 1.01 : 1000;
  }
  const closing = runners.filter((r) => r.status !== 'REMOVED').map((r) => ({ id: r.id, ltp: r.ltp! }));
  yield message(pt, { id: o.marketId, marketDefinition: definition(), rc: closing });
}

/** A few ticks of drift on one runner, with the deltas Betfair would send for it. */
function move(r: Model, random: () => number, deleteLevel: boolean): RunnerChange {
  const change: RunnerChange = { id: r.id };
  const drift = Math.floor(random() * 3) - 1;
  r.tick = Math.max(DEPTH, Math.min(LADDER.length - 3, r.tick + drift));
  const atb: PriceSize[] = [];
  const atl: PriceSize[] = [];
  // Prices that are no longer within the top levels are deleted by size 0.
  const wantBack = new Set(Array.from({ length: DEPTH }, (_, k) => price(r.tick - k)));
  const wantLay = new Set(Array.from({ length: DEPTH }, (_, k) => price(r.tick + 1 + k)));
  for (const p of [...r.atb.keys()]) {
    if (wantBack.has(p)) continue;
    r.atb.delete(p);
    atb.push([p, 0]);
  }
  for (const p of [...r.atl.keys()]) {
    if (wantLay.has(p)) continue;
    r.atl.delete(p);
    atl.push([p, 0]);
  }
  for (const p of wantBack) {
    const size = money(5 + random() * 300);
    r.atb.set(p, size);
    atb.push([p, size]);
  }
  for (const p of wantLay) {
    const size = money(5 + random() * 300);
    r.atl.set(p, size);
    atl.push([p, size]);
  }
  change.atb = atb;
  change.atl = atl;
  change.batb = levels(r.atb, true);
  change.batl = levels(r.atl, false);
  if (deleteLevel) {
    // The third back level goes, both by price and by level.
    const third = [...r.atb.keys()].sort((a, b) => b - a)[2];
    if (third !== undefined) {
      r.atb.delete(third);
      change.atb.push([third, 0]);
      change.batb = [...levels(r.atb, true), [2, 0, 0]];
    }
  }
  const traded = price(r.tick);
  const amount = money(2 + random() * 40);
  trade(r, traded, amount);
  change.trd = [[traded, r.trd.get(traded)!]];
  change.ltp = traded;
  r.ltp = traded;
  change.tv = money(r.tv);
  return change;
}

function trade(r: Model, p: number, amount: number) {
  r.trd.set(p, money((r.trd.get(p) ?? 0) + amount));
  r.tv = money(r.tv + amount);
}

function levels(ladder: Map<number, number>, back: boolean): LevelPriceSize[] {
  const sorted = [...ladder].sort((a, b) => (back ? b[0] - a[0] : a[0] - b[0]));
  return sorted.slice(0, DEPTH).map(([p, s], k) => [k, p, s]);
}

/** The generator's path for a market inside a Betfair-style archive. */
export function archiveMemberName(
  plan: string,
  marketTime: string,
  eventId: string,
  marketId: string,
): string {
  const d = new Date(marketTime);
  const month = d.toLocaleString('en-GB', { month: 'short', timeZone: 'UTC' });
  return `${plan}/${d.getUTCFullYear()}/${month}/${d.getUTCDate()}/${eventId}/${marketId}.bz2`;
}
