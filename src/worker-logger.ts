import { Logger } from 'graphile-worker';

/** graphile-worker's logger, keeping warnings and errors only (its info lines drown our own output). */
export const quietWorkerLogger = new Logger(() => (level, message) => {
  if (level === 'error' || level === 'warning') console.error(`[worker] ${level}: ${message}`);
});
