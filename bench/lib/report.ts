// Printing for the benchmarks: a small table of measured figures, then the checks against the issue's
// targets, with the headline ratio printed last.
import { availableParallelism, loadavg, totalmem } from 'node:os';
import Table from 'cli-table3';

export interface Check {
  /** What is checked, e.g. 'kit / ceiling >= 60%'. */
  target: string;
  /** The measured figure as printed. */
  measured: string;
  ok: boolean;
  /** Why, when it is missed (the bottleneck and its evidence). */
  note?: string;
}

export function printTable(title: string, head: string[], rows: (string | number)[][]): void {
  const table = new Table({ head, style: { head: [], border: [] } });
  for (const row of rows) table.push(row.map(String));
  console.log(`\n${title}`);
  console.log(table.toString());
}

export function printChecks(checks: readonly Check[]): boolean {
  const table = new Table({ head: ['target', 'measured', 'result'], style: { head: [], border: [] } });
  for (const c of checks) table.push([c.target, c.measured, c.ok ? 'met' : 'MISSED']);
  console.log(table.toString());
  for (const c of checks) if (!c.ok && c.note) console.log(`  missed: ${c.target}: ${c.note}`);
  return checks.every((c) => c.ok);
}

/** The benchmark's headline, always the last line it prints. */
export function printRatio(text: string): void {
  console.log(`\nRATIO ${text}`);
}

export const fmtInt = (n: number): string => Math.round(n).toLocaleString('en-GB');
export const fmtMs = (ms: number): string => (ms < 10 ? `${ms.toFixed(2)} ms` : `${ms.toFixed(1)} ms`);
export const fmtS = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
export const fmtPct = (x: number): string => `${(x * 100).toFixed(1)}%`;
export const fmtMb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
export const fmtRate = (perSec: number, unit: string): string => `${fmtInt(perSec)} ${unit}/s`;

/** The machine and how busy it is: figures taken under load are not comparable with quiet ones. */
export function printMachine(): void {
  const [one, five] = loadavg();
  console.log(
    `machine: ${availableParallelism()} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}; ` +
      `load average ${one?.toFixed(2)} (1 min), ${five?.toFixed(2)} (5 min) at start`,
  );
}
