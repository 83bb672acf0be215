// What the CLI and the ingest_stream_file task share: cadence and market-type options, and the rule for
// the paths a task payload may name.

import { realpath } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { z } from 'zod';
import { type Cadence, parseCadence } from './stream/index.ts';

/** `WIN,PLACE` -> ['WIN', 'PLACE']; marketType names are upper-case letters, digits and underscores. */
export function parseMarketTypes(text: string): string[] {
  const types = text.split(',').map((t) => t.trim().toUpperCase());
  const bad = types.find((t) => !/^[A-Z0-9_]+$/.test(t));
  if (bad !== undefined)
    throw new Error(`--markets "${text}": "${bad}" is not a market type (e.g. WIN,PLACE)`);
  return [...new Set(types)];
}

/** The cadence options in a payload (snake_case), validated as parseCadence validates the CLI's. */
export const CadencePayload = z.object({
  every: z.string().min(1).optional(),
  every_change: z.boolean().optional(),
  at: z.string().min(1).optional(),
});

export function cadenceOf(p: z.output<typeof CadencePayload>): Cadence {
  return parseCadence({ every: p.every, everyChange: p.every_change, at: p.at });
}

/**
 * A payload's path, resolved inside KIT_IMPORT_DIR (the one folder workers may read): it must be set;
 * the path, relative to it or absolute, must resolve (symlinks followed) to a file inside it. Same rule as
 * src/import-path.ts on the branch that adds it; this function can point there at merge.
 */
export async function resolveImportPath(path: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const root = env.KIT_IMPORT_DIR;
  if (!root) throw new Error('KIT_IMPORT_DIR is not set: workers read import files only from that folder');
  const base = await realpath(root);
  if (path.split(/[\\/]/).includes('..')) throw new Error(`path "${path}" must not contain ".."`);
  const candidate = isAbsolute(path) ? path : resolve(base, path);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new Error(`path "${path}" does not exist under KIT_IMPORT_DIR`);
  }
  const rel = relative(base, real);
  if (rel === '' || rel.startsWith(`..${sep}`) || rel === '..' || isAbsolute(rel))
    throw new Error(`path "${path}" is outside KIT_IMPORT_DIR`);
  return real;
}
