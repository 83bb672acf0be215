// Concurrent HTTP clients for the API load benchmark (bench/http-load.ts) and its modest version in
// test/api/load.test.ts: each client sends its requests one after another, all clients at once.

export interface HttpLoadOptions {
  base: string;
  clients: number;
  requestsPerClient: number;
  /** The path of a client's n-th request. */
  path(client: number, n: number): string;
  /** The exact body each path must answer (every path here is cached or deterministic). */
  expected: ReadonlyMap<string, string>;
  headers?: Record<string, string>;
  /** Bounds every request: a slower one counts as an error. */
  timeoutMs?: number;
}

export interface HttpLoadResult {
  latenciesMs: number[];
  /** One line per failed request: network error, timeout, status other than 200 or a different body. */
  errors: string[];
}

export async function runHttpClients(o: HttpLoadOptions): Promise<HttpLoadResult> {
  const latenciesMs: number[] = [];
  const errors: string[] = [];
  const client = async (c: number) => {
    for (let n = 0; n < o.requestsPerClient; n++) {
      const path = o.path(c, n);
      const started = performance.now();
      try {
        const res = await fetch(o.base + path, {
          headers: o.headers ?? {},
          signal: AbortSignal.timeout(o.timeoutMs ?? 60_000),
        });
        const body = await res.text();
        latenciesMs.push(performance.now() - started);
        if (res.status !== 200) errors.push(`${path}: status ${res.status}: ${body.slice(0, 200)}`);
        else if (body !== o.expected.get(path)) errors.push(`${path}: body differs from the expected answer`);
      } catch (error) {
        errors.push(`${path}: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: o.clients }, (_, c) => client(c)));
  return { latenciesMs, errors };
}

/** The body of each path, fetched one at a time (the answers the concurrent clients must repeat). */
export async function fetchExpected(
  base: string,
  paths: readonly string[],
  headers: Record<string, string> = {},
): Promise<Map<string, string>> {
  const expected = new Map<string, string>();
  for (const path of paths) {
    const res = await fetch(base + path, { headers });
    const body = await res.text();
    if (res.status !== 200)
      throw new Error(`${path}: status ${res.status} before the load: ${body.slice(0, 200)}`);
    expected.set(path, body);
  }
  return expected;
}
