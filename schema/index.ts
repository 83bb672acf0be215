export * from './accounts.ts';
export * from './audit.ts';
export * from './betfair.ts';
export * from './daily.ts';
export * from './racing.ts';
export * from './views.ts';
