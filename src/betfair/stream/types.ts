/**
 * Betfair Exchange Stream API market change messages (`op: "mcm"`), as found in historical data
 * files and recorded streams. Only the fields the replay reads are typed; everything else is kept.
 */

/** `[price, size]`, keyed by price (atb, atl, trd, spb, spl). */
export type PriceSize = [number, number];
/** `[level, price, size]`, keyed by level (batb, batl, bdatb, bdatl). */
export type LevelPriceSize = [number, number, number];

export interface RunnerChange {
  id: number;
  hc?: number;
  ltp?: number;
  tv?: number;
  spn?: number | string;
  spf?: number | string;
  atb?: PriceSize[];
  atl?: PriceSize[];
  trd?: PriceSize[];
  spb?: PriceSize[];
  spl?: PriceSize[];
  batb?: LevelPriceSize[];
  batl?: LevelPriceSize[];
  bdatb?: LevelPriceSize[];
  bdatl?: LevelPriceSize[];
}

export interface RunnerDefinition {
  id: number;
  hc?: number;
  name?: string;
  sortPriority?: number;
  status?: string;
  adjustmentFactor?: number;
  removalDate?: string;
  bsp?: number | string;
  [key: string]: unknown;
}

/** Sent whole whenever anything in it changes: a later definition replaces the earlier one. */
export interface MarketDefinition {
  status?: string;
  inPlay?: boolean;
  marketTime?: string;
  marketType?: string;
  eventTypeId?: string;
  eventId?: string;
  eventName?: string;
  venue?: string;
  countryCode?: string;
  timezone?: string;
  name?: string;
  bettingType?: string;
  numberOfWinners?: number;
  numberOfActiveRunners?: number;
  betDelay?: number;
  bspMarket?: boolean;
  bspReconciled?: boolean;
  turnInPlayEnabled?: boolean;
  complete?: boolean;
  crossMatching?: boolean;
  runnersVoidable?: boolean;
  version?: number;
  settledTime?: string;
  runners?: RunnerDefinition[];
  [key: string]: unknown;
}

export interface MarketChange {
  id: string;
  img?: boolean;
  con?: boolean;
  tv?: number;
  rc?: RunnerChange[];
  marketDefinition?: MarketDefinition;
}

export interface McmMessage {
  op: 'mcm';
  /** Publish time, epoch milliseconds. */
  pt: number;
  clk?: string;
  ct?: string;
  mc?: MarketChange[];
}

/** listMarketBook `PriceSize` (REST shape). */
export interface BookPriceSize {
  price: number;
  size: number;
}

export interface BookRunner {
  selectionId: number;
  handicap: number;
  status: string;
  adjustmentFactor?: number;
  lastPriceTraded?: number;
  totalMatched?: number;
  removalDate?: string;
  sp: {
    nearPrice?: number;
    farPrice?: number;
    actualSP?: number;
    backStakeTaken: BookPriceSize[];
    layLiabilityTaken: BookPriceSize[];
  };
  ex: { availableToBack: BookPriceSize[]; availableToLay: BookPriceSize[]; tradedVolume: BookPriceSize[] };
}

/** A market book in the listMarketBook shape, plus the stream's publish time (epoch ms). */
export interface StreamMarketBook {
  marketId: string;
  publishTime: number;
  isMarketDataDelayed: boolean;
  status?: string;
  betDelay?: number;
  bspReconciled?: boolean;
  complete?: boolean;
  inplay?: boolean;
  numberOfWinners?: number;
  numberOfRunners: number;
  numberOfActiveRunners: number;
  totalMatched?: number;
  crossMatching?: boolean;
  runnersVoidable?: boolean;
  version?: number;
  runners: BookRunner[];
}

/** A runner of a market as its latest marketDefinition describes it (for market_runners). */
export interface MarketRunnerInfo {
  selectionId: number;
  handicap: number;
  name?: string;
  sortPriority?: number;
  status?: string;
  removalDate?: string;
  adjustmentFactor?: number;
  /** Betfair Starting Price, once reconciled. */
  bsp?: number;
}

/** Market metadata from the latest marketDefinition. */
export interface MarketInfo {
  marketId: string;
  eventTypeId?: string;
  eventId?: string;
  eventName?: string;
  venue?: string;
  countryCode?: string;
  timezone?: string;
  /** Scheduled off, ISO UTC as Betfair sends it. */
  marketTime?: string;
  marketType?: string;
  name?: string;
  bettingType?: string;
  numberOfWinners?: number;
  status?: string;
  inPlay?: boolean;
  bspMarket?: boolean;
  bspReconciled?: boolean;
  settledTime?: string;
  runners: MarketRunnerInfo[];
}
