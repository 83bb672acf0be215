export * from './audit.ts';
export * from './betfair.ts';
export * from './racing.ts';
export * from './views.ts';
export * from './daily.ts';
