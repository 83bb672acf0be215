import { type Command, InvalidArgumentError } from 'commander';

/** One benchmark: its size flags (commander) and a run that prints its figures and says whether every target was met. */
export interface Benchmark {
  name: string;
  description: string;
  /** Adds the size flags, each with a small default. */
  options(cmd: Command): Command;
  run(opts: Record<string, unknown>): Promise<boolean>;
}

/** Parses a positive whole-number flag value (commander argParser). */
export function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0)
    throw new InvalidArgumentError(`expected a whole number above 0, not '${value}'`);
  return n;
}
