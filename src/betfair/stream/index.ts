// Betfair stream / historical data files: read, replay into listMarketBook snapshots, generate.

export { MarketCache } from './cache.ts';
export { type Cadence, parseCadence, parseDuration } from './cadence.ts';
export { archiveMemberName, generateWinMarket, type WinMarketOptions } from './generate.ts';
export {
  formatLocation,
  readStreamChunks,
  readStreamFile,
  type StreamLocation,
  type StreamRecord,
} from './read.ts';
export {
  type ReplayEvent,
  type ReplayOptions,
  replayStream,
  replayStreamFile,
  type SnapshotReason,
  StreamReplayer,
  type StreamSnapshot,
} from './replay.ts';
export type * from './types.ts';
export { type Compression, encodeLines, type TarMember, writeStreamFile, writeStreamTar } from './write.ts';
