/** The simulator's rate limits: the per-account sliding window and the optional Cloudflare burst cool-off. */

/**
 * Sliding 1-second window over accepted arrival times: a request at t is refused when (t-1000, t] already holds
 * `perSecond` accepted requests. Refused requests are not recorded.
 */
export class SlidingWindowLimiter {
  private readonly accepted = new Map<string, number[]>();
  private readonly perSecond: number;

  constructor(perSecond: number) {
    this.perSecond = perSecond;
  }

  tryAccept(account: string, now: number): boolean {
    let times = this.accepted.get(account);
    if (!times) {
      times = [];
      this.accepted.set(account, times);
    }
    let drop = 0;
    while (drop < times.length && (times[drop] as number) <= now - 1000) drop++;
    if (drop) times.splice(0, drop);
    if (times.length >= this.perSecond) return false;
    times.push(now);
    return true;
  }

  reset(): void {
    this.accepted.clear();
  }
}

export interface CloudflareOptions {
  maxRequests: number;
  windowMs: number;
  coolOffMs: number;
}

/**
 * Per-IP burst guard in front of the API: more than `maxRequests` arrivals within `windowMs` starts a cool-off during
 * which every request is answered 429. Every arrival counts, refused ones included (it sits before the app).
 */
export class CloudflareGuard {
  private readonly options: CloudflareOptions;
  private arrivals: number[] = [];
  private coolUntil = 0;

  constructor(options: CloudflareOptions) {
    this.options = options;
  }

  /** True when the request must be refused. */
  refuses(now: number): boolean {
    if (now < this.coolUntil) return true;
    const from = now - this.options.windowMs;
    let drop = 0;
    while (drop < this.arrivals.length && (this.arrivals[drop] as number) <= from) drop++;
    if (drop) this.arrivals.splice(0, drop);
    this.arrivals.push(now);
    if (this.arrivals.length > this.options.maxRequests) {
      this.coolUntil = now + this.options.coolOffMs;
      this.arrivals = [];
      return true;
    }
    return false;
  }

  /** Seconds left in the cool-off, rounded up (for Retry-After). */
  remainingSec(now: number): number {
    return Math.max(0, Math.ceil((this.coolUntil - now) / 1000));
  }

  reset(): void {
    this.arrivals = [];
    this.coolUntil = 0;
  }
}
