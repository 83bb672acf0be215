import type {
  BookPriceSize,
  BookRunner,
  LevelPriceSize,
  MarketChange,
  MarketDefinition,
  MarketInfo,
  MarketRunnerInfo,
  PriceSize,
  RunnerChange,
  StreamMarketBook,
} from './types.ts';

/** Price-keyed ladder (atb, atl, trd, spb, spl): a delta's size is the new size there, 0 deletes. */
type PriceLadder = Map<number, number>;
/** Level-keyed ladder (batb, batl, bdatb, bdatl): level -> [price, size], size 0 deletes the level. */
type LevelLadder = Map<number, [number, number]>;

interface RunnerState {
  id: number;
  hc: number;
  ltp?: number;
  tv?: number;
  spn?: number;
  spf?: number;
  atb: PriceLadder;
  atl: PriceLadder;
  trd: PriceLadder;
  spb: PriceLadder;
  spl: PriceLadder;
  batb: LevelLadder;
  batl: LevelLadder;
  bdatb: LevelLadder;
  bdatl: LevelLadder;
}

const newRunner = (id: number, hc: number): RunnerState => ({
  id,
  hc,
  atb: new Map(),
  atl: new Map(),
  trd: new Map(),
  spb: new Map(),
  spl: new Map(),
  batb: new Map(),
  batl: new Map(),
  bdatb: new Map(),
  bdatl: new Map(),
});

const runnerKey = (id: number, hc: number | undefined) => `${id}:${hc ?? 0}`;

/** Numbers only when finite: "NaN", "Infinity" and missing values become undefined. */
function finite(value: unknown): number | undefined {
  if (value === null || value === undefined || value === '') return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function applyPrices(ladder: PriceLadder, changes: readonly PriceSize[] | undefined) {
  if (!changes) return;
  for (const [price, size] of changes) {
    if (size === 0) ladder.delete(price);
    else ladder.set(price, size);
  }
}

function applyLevels(ladder: LevelLadder, changes: readonly LevelPriceSize[] | undefined) {
  if (!changes) return;
  for (const [level, price, size] of changes) {
    if (size === 0) ladder.delete(level);
    else ladder.set(level, [price, size]);
  }
}

const byPriceDesc = (ladder: PriceLadder): BookPriceSize[] =>
  [...ladder].sort((a, b) => b[0] - a[0]).map(([price, size]) => ({ price, size }));
const byPriceAsc = (ladder: PriceLadder): BookPriceSize[] =>
  [...ladder].sort((a, b) => a[0] - b[0]).map(([price, size]) => ({ price, size }));
const byLevel = (ladder: LevelLadder): BookPriceSize[] =>
  [...ladder].sort((a, b) => a[0] - b[0]).map(([, [price, size]]) => ({ price, size }));

/**
 * The full-depth ladder when the file has one, else the virtual best-display levels, else the
 * best levels: the order betfairlightweight uses when it serialises a stream book to REST.
 */
function side(full: PriceLadder, display: LevelLadder, best: LevelLadder, back: boolean): BookPriceSize[] {
  if (full.size > 0) return back ? byPriceDesc(full) : byPriceAsc(full);
  if (display.size > 0) return byLevel(display);
  return byLevel(best);
}

/** One market's state, built from its `mc` entries in publish order. */
export class MarketCache {
  readonly marketId: string;
  definition: MarketDefinition | undefined;
  totalMatched: number | undefined;
  /** Publish time of the last change applied, epoch ms. */
  publishTime = 0;
  private runners = new Map<string, RunnerState>();

  constructor(marketId: string) {
    this.marketId = marketId;
  }

  /**
   * Applies one market change. `img: true` is a full image: prices and volumes start again from
   * it (a definition sent with it replaces the old one; without one the old definition stays).
   */
  apply(change: MarketChange, publishTime: number): void {
    this.publishTime = publishTime;
    if (change.img) {
      this.runners = new Map();
      this.totalMatched = undefined;
    }
    if (change.marketDefinition) this.definition = change.marketDefinition;
    if (change.tv !== undefined) this.totalMatched = finite(change.tv);
    for (const rc of change.rc ?? []) this.applyRunner(rc);
  }

  private applyRunner(rc: RunnerChange): void {
    const key = runnerKey(rc.id, rc.hc);
    let r = this.runners.get(key);
    if (!r) {
      r = newRunner(rc.id, rc.hc ?? 0);
      this.runners.set(key, r);
    }
    if (rc.ltp !== undefined) r.ltp = finite(rc.ltp);
    if (rc.tv !== undefined) r.tv = finite(rc.tv);
    if (rc.spn !== undefined) r.spn = finite(rc.spn);
    if (rc.spf !== undefined) r.spf = finite(rc.spf);
    applyPrices(r.atb, rc.atb);
    applyPrices(r.atl, rc.atl);
    applyPrices(r.trd, rc.trd); // sizes are totals at that price: replace, never add
    applyPrices(r.spb, rc.spb);
    applyPrices(r.spl, rc.spl);
    applyLevels(r.batb, rc.batb);
    applyLevels(r.batl, rc.batl);
    applyLevels(r.bdatb, rc.bdatb);
    applyLevels(r.bdatl, rc.bdatl);
  }

  /** The market's definition fields, for filters and the cadence. */
  get marketType(): string | undefined {
    return this.definition?.marketType;
  }
  get inPlay(): boolean {
    return this.definition?.inPlay === true;
  }
  /** Scheduled off, epoch ms, or undefined when the definition has none. */
  get marketTimeMs(): number | undefined {
    const t = this.definition?.marketTime;
    const ms = t ? Date.parse(t) : Number.NaN;
    return Number.isFinite(ms) ? ms : undefined;
  }

  /**
   * The current state as a listMarketBook MarketBook (REST shape, best price first), stamped with
   * `publishTime` (defaults to the last change's). Runners follow the definition's order; runners
   * seen only in price changes come after them.
   */
  toBook(publishTime = this.publishTime): StreamMarketBook {
    const def = this.definition;
    const defRunners = def?.runners ?? [];
    const runners: BookRunner[] = [];
    const seen = new Set<string>();
    for (const d of defRunners) {
      const key = runnerKey(d.id, d.hc);
      seen.add(key);
      runners.push(bookRunner(this.runners.get(key) ?? newRunner(d.id, d.hc ?? 0), d, def));
    }
    for (const [key, r] of this.runners) if (!seen.has(key)) runners.push(bookRunner(r, undefined, def));
    const book: StreamMarketBook = {
      marketId: this.marketId,
      publishTime,
      isMarketDataDelayed: false,
      numberOfRunners: runners.length,
      numberOfActiveRunners: runners.filter((r) => r.status === 'ACTIVE').length,
      runners,
    };
    if (def?.status !== undefined) book.status = def.status;
    if (def?.betDelay !== undefined) book.betDelay = def.betDelay;
    if (def?.bspReconciled !== undefined) book.bspReconciled = def.bspReconciled;
    if (def?.complete !== undefined) book.complete = def.complete;
    if (def?.inPlay !== undefined) book.inplay = def.inPlay;
    if (def?.numberOfWinners !== undefined) book.numberOfWinners = def.numberOfWinners;
    if (this.totalMatched !== undefined) book.totalMatched = this.totalMatched;
    if (def?.crossMatching !== undefined) book.crossMatching = def.crossMatching;
    if (def?.runnersVoidable !== undefined) book.runnersVoidable = def.runnersVoidable;
    if (def?.version !== undefined) book.version = def.version;
    return book;
  }

  /** Market metadata and its runner list, from the latest definition. */
  info(): MarketInfo {
    const def = this.definition ?? {};
    const info: MarketInfo = { marketId: this.marketId, runners: (def.runners ?? []).map(runnerInfo) };
    for (const key of INFO_FIELDS) {
      const value = def[key];
      if (value !== undefined) (info as unknown as Record<string, unknown>)[key] = value;
    }
    return info;
  }
}

const INFO_FIELDS = [
  'eventTypeId',
  'eventId',
  'eventName',
  'venue',
  'countryCode',
  'timezone',
  'marketTime',
  'marketType',
  'name',
  'bettingType',
  'numberOfWinners',
  'status',
  'inPlay',
  'bspMarket',
  'bspReconciled',
  'settledTime',
] as const;

function runnerInfo(d: NonNullable<MarketDefinition['runners']>[number]): MarketRunnerInfo {
  const info: MarketRunnerInfo = { selectionId: d.id, handicap: d.hc ?? 0 };
  if (d.name !== undefined) info.name = d.name;
  if (d.sortPriority !== undefined) info.sortPriority = d.sortPriority;
  if (d.status !== undefined) info.status = d.status;
  if (d.removalDate !== undefined) info.removalDate = d.removalDate;
  const af = finite(d.adjustmentFactor);
  if (af !== undefined) info.adjustmentFactor = af;
  const bsp = finite(d.bsp);
  if (bsp !== undefined) info.bsp = bsp;
  return info;
}

function bookRunner(
  r: RunnerState,
  d: NonNullable<MarketDefinition['runners']>[number] | undefined,
  def: MarketDefinition | undefined,
): BookRunner {
  const runner: BookRunner = {
    selectionId: r.id,
    handicap: r.hc,
    status: d?.status ?? 'ACTIVE',
    sp: {
      backStakeTaken: byPriceDesc(r.spb),
      layLiabilityTaken: byPriceAsc(r.spl),
    },
    ex: {
      availableToBack: side(r.atb, r.bdatb, r.batb, true),
      availableToLay: side(r.atl, r.bdatl, r.batl, false),
      tradedVolume: byPriceAsc(r.trd),
    },
  };
  const af = finite(d?.adjustmentFactor);
  if (af !== undefined) runner.adjustmentFactor = af;
  if (r.ltp !== undefined) runner.lastPriceTraded = r.ltp;
  if (r.tv !== undefined) runner.totalMatched = r.tv;
  if (d?.removalDate !== undefined) runner.removalDate = d.removalDate;
  if (r.spn !== undefined) runner.sp.nearPrice = r.spn;
  if (r.spf !== undefined) runner.sp.farPrice = r.spf;
  // Betfair fills actualSP once the market's BSP is reconciled; the definition carries it as bsp.
  const bsp = finite(d?.bsp);
  if (bsp !== undefined && def?.bspReconciled !== false) runner.sp.actualSP = bsp;
  return runner;
}
