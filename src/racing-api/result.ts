// What a Racing API call returns: a parsed page, a terminal answer to record (never retried), or a thrown
// TransientApiError once the retries are spent (graphile-worker then reschedules the job).

// 'not_in_plan': not sent, a recorded plan gap of every usable account covers it (src/accounts.ts).
export type TerminalReason =
  | 'not_found'
  | 'invalid'
  | 'unauthorized'
  | 'forbidden'
  | 'unprocessable'
  | 'not_in_plan';

export type ApiResult<T> =
  | {
      ok: true;
      status: number;
      data: T;
      /** The body exactly as received (before JSON parsing and zod), for the raw archive. */
      bodyText: string;
      /** Size of the body in bytes. */
      bytes: number;
    }
  | {
      ok: false;
      reason: TerminalReason;
      status: number;
      /** The JSON body, or null when the body was empty or not JSON. */
      body: unknown | null;
      /** The body exactly as received, JSON or not, for the raw archive (null when empty). */
      bodyText: string | null;
      /** One line, safe to store: never holds credentials. */
      error: string;
      /** For reason 'invalid': the failing zod path, e.g. 'results.0.runners.3.horse_id'. */
      path?: string;
    };

/**
 * Thrown when a call could not be completed now: attempts exhausted on 408/429/5xx, timeouts, connection
 * errors or unparseable JSON; a Retry-After longer than allowed; or a rate-limit backlog too long to wait.
 * The message is one line. Throwing it from a task lets graphile-worker retry the job later.
 */
export class TransientApiError extends Error {
  /** HTTP status of the last attempt, when there was a response. */
  status?: number;
  /** Attempts made by this call. */
  attempts?: number;
  /** When the API (or the shared limiter) asked for a wait: how long, in ms. */
  retryAfterMs?: number;
  constructor(message: string, o: { status?: number; attempts?: number; retryAfterMs?: number } = {}) {
    super(oneLine(message));
    this.name = 'TransientApiError';
    if (o.status !== undefined) this.status = o.status;
    if (o.attempts !== undefined) this.attempts = o.attempts;
    if (o.retryAfterMs !== undefined) this.retryAfterMs = o.retryAfterMs;
  }
}

/** Thrown for an answer that is neither success, terminal nor transient (e.g. 400, 405): a bug to look at. */
export class UnexpectedApiResponseError extends Error {
  status: number;
  constructor(message: string, status: number) {
    super(oneLine(message));
    this.name = 'UnexpectedApiResponseError';
    this.status = status;
  }
}

/** Collapses whitespace and caps the length, so messages fit one log line and one table cell. */
export function oneLine(text: string, max = 500): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
