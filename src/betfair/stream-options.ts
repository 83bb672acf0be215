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
