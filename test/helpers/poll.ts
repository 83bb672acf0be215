import { setTimeout as delay } from 'node:timers/promises';

/**
 * Waits for a condition another process brings about (a worker's writes), checking it every `everyMs`.
 * The condition is the synchronisation; the interval only paces the checks.
 */
export async function pollUntil(
  condition: () => Promise<boolean>,
  { everyMs = 25, timeoutMs = 240_000, what = 'condition' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(everyMs);
  }
}
