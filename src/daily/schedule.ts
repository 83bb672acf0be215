// The daily schedule is graphile-worker's own crontab (README "Running it every day"): the `crontab` file at
// the repository root, parsed by graphile-worker's parseCrontab. This module only reads it and checks that
// every line names a task the kit's workers run, so a typo stops the worker with one line at start.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type ParsedCronItem, parseCrontab } from 'graphile-worker';

/** The shipped crontab: ../../crontab from this file. */
export const CRONTAB_PATH = fileURLToPath(new URL('../../crontab', import.meta.url));

/** Parsed crontab text; throws one line naming the problem (graphile-worker's parse error or an unknown task). */
export function parseSchedule(text: string, knownTasks: readonly string[]): ParsedCronItem[] {
  const items = parseCrontab(text);
  for (const item of items) {
    if (!knownTasks.includes(item.task))
      throw new Error(`crontab: unknown task '${item.task}' (known: ${knownTasks.join(', ')})`);
  }
  return items;
}

export function readSchedule(path: string, knownTasks: readonly string[]): ParsedCronItem[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new Error(`cannot read the crontab ${path}: ${(error as Error).message}`);
  }
  try {
    return parseSchedule(text, knownTasks);
  } catch (error) {
    throw new Error(`${path}: ${(error as Error).message}`);
  }
}
