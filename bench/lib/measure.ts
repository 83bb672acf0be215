// Timing and memory helpers shared by the benchmarks.
import { readdirSync, readFileSync } from 'node:fs';
import type { Sql } from '../../src/db.ts';

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await fn();
  return { ms: performance.now() - started, value };
}

export function median(values: readonly number[]): number {
  return quantile(values, 0.5);
}

/** Linear-interpolated quantile of unsorted values; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

export interface ProcMemory {
  /** Resident set size now, bytes. */
  rss: number;
  /** Peak resident set size so far (VmHWM), bytes. */
  peak: number;
}

/** RSS and peak RSS of a process from /proc (Linux); undefined once it has exited. */
export function procMemory(pid: number): ProcMemory | undefined {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return undefined;
  }
  const kb = (field: string) =>
    Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Samples a process's memory every intervalMs until stopped; keeps the highest RSS and VmHWM seen. */
export function watchMemory(pid: number, intervalMs = 100) {
  let peak = 0;
  let samples = 0;
  const sample = () => {
    const m = procMemory(pid);
    if (!m) return;
    samples++;
    peak = Math.max(peak, m.rss, m.peak);
  };
  sample();
  const timer = setInterval(sample, intervalMs);
  return {
    stop(): { peak: number; samples: number } {
      sample();
      clearInterval(timer);
      return { peak, samples };
    },
  };
}

// Linux clock ticks per second of /proc/<pid>/stat times (USER_HZ, 100 on every mainstream kernel).
const TICKS_PER_SECOND = 100;

/** CPU time (user + system, ms) of a process and of its children it has waited for; 0 once it is gone. */
export function procCpuMs(pid: number | 'self'): { own: number; children: number } {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return { own: 0, children: 0 };
  }
  // Fields after the command name (which may contain spaces), starting at field 3 (state).
  const f = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  const ms = (ticks: number) => (ticks / TICKS_PER_SECOND) * 1000;
  return { own: ms((f[11] ?? 0) + (f[12] ?? 0)), children: ms((f[13] ?? 0) + (f[14] ?? 0)) };
}

/**
 * CPU time (ms) used so far by the PostgreSQL server on this machine: every live `postgres` process plus
 * the exited backends the postmaster has reaped. Undefined when /proc is not readable (not Linux).
 */
export function postgresCpuMs(): number | undefined {
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  let total = 0;
  for (const pid of pids) {
    let comm: string;
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    if (comm !== 'postgres') continue;
    const cpu = procCpuMs(Number(pid));
    total += cpu.own + cpu.children;
  }
  return total;
}

/**
 * CPU time (ms) used so far by each backend connected to the client's database (its own connections and any
 * other), by pid. With cpuSince, a run's CPU on the server without the other databases of a shared server.
 */
export async function backendCpuMs(sql: Sql): Promise<Map<number, number>> {
  const rows = await sql<{ pid: number }[]>`
    select pid from pg_stat_activity where datname = current_database() and backend_type = 'client backend'`;
  return new Map(rows.map((r) => [r.pid, procCpuMs(r.pid).own]));
}

/** CPU ms the backends used between two backendCpuMs snapshots (a backend new in `after` counts whole). */
export function cpuSince(before: Map<number, number>, after: Map<number, number>): number {
  let total = 0;
  for (const [pid, ms] of after) total += ms - (before.get(pid) ?? 0);
  return total;
}
