// One HTTP attempt: ky with its own retry switched off (the retry loop in request.ts owns retries, so that
// each attempt takes its own rate-limit slot and audit row). The per-attempt deadline covers the headers
// and the body and starts after the slot wait.
import { performance } from 'node:perf_hooks';
import type { KyInstance } from 'ky';
import { oneLine } from './result.ts';

export type AttemptOutcome =
  | {
      kind: 'response';
      status: number;
      statusText: string;
      /** Raw body text (UTF-8). */
      text: string;
      bytes: number;
      /** Whether the body parsed as JSON; json holds the value when it did. */
      isJson: boolean;
      json: unknown;
      /** Retry-After in ms when the header was present and readable. */
      retryAfterMs?: number;
      durationMs: number;
    }
  | { kind: 'failure'; error: string; timedOut: boolean; durationMs: number }
  | { kind: 'aborted'; reason: unknown; durationMs: number };

export async function attemptOnce(
  api: KyInstance,
  input: string,
  searchParams: URLSearchParams,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<AttemptOutcome> {
  const deadline = AbortSignal.timeout(timeoutMs);
  const combined = signal ? AbortSignal.any([signal, deadline]) : deadline;
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  try {
    const response = await api.get(input, { searchParams, signal: combined });
    const buffer = new Uint8Array(await response.arrayBuffer());
    const text = new TextDecoder('utf-8').decode(buffer);
    let json: unknown = null;
    let isJson = false;
    try {
      json = JSON.parse(text);
      isJson = true;
    } catch {
      // Left to the caller: a 2xx that is not JSON (e.g. truncated) is retried, an error page is kept as text.
    }
    const outcome: AttemptOutcome = {
      kind: 'response',
      status: response.status,
      statusText: response.statusText,
      text,
      bytes: buffer.byteLength,
      isJson,
      json,
      durationMs: elapsed(),
    };
    const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
    if (retryAfterMs !== undefined) outcome.retryAfterMs = retryAfterMs;
    return outcome;
  } catch (error) {
    if (signal?.aborted) return { kind: 'aborted', reason: signal.reason, durationMs: elapsed() };
    if (deadline.aborted) {
      return {
        kind: 'failure',
        error: `timed out after ${timeoutMs} ms`,
        timedOut: true,
        durationMs: elapsed(),
      };
    }
    return { kind: 'failure', error: describeNetworkError(error), timedOut: false, durationMs: elapsed() };
  }
}

/** Retry-After as delta-seconds or an HTTP date, in ms; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (value === null) return undefined;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/** 'connection error: ECONNRESET (read ECONNRESET)' from ky's NetworkError / undici's TypeError cause chain. */
export function describeNetworkError(error: unknown): string {
  let code: string | undefined;
  let detail: string | undefined;
  let current: unknown = error;
  for (let depth = 0; current && depth < 6; depth++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string') code = e.code;
    if (typeof e.message === 'string' && e.message) detail = e.message;
    current = e.cause;
  }
  const parts = [code, detail && detail !== code ? `(${detail})` : undefined].filter(Boolean);
  return oneLine(`connection error: ${parts.join(' ') || 'unknown'}`);
}
