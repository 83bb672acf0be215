// A tiny node:http server on 127.0.0.1 whose answers the test scripts request by request,
// for precise fault scenarios (429, 5xx, hangs, resets, truncated bodies).
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

export interface ReceivedRequest {
  method: string;
  /** Path and query as received, e.g. '/v1/results?start_date=…'. */
  url: string;
  authorization: string | undefined;
  /** performance.now() on arrival. */
  at: number;
}

/** Answers the n-th request (0-based); may leave it hanging or destroy the socket. */
export type Script = (req: IncomingMessage, res: ServerResponse, n: number) => void;

export interface ScriptedServer {
  /** Base URL with /v1/, as the client config wants it. */
  baseUrl: string;
  requests: ReceivedRequest[];
  /** Resolves when the server has received `count` requests. */
  received(count: number): Promise<void>;
  close(): Promise<void>;
}

export function json(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
) {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(text);
}

export async function startScriptedServer(script: Script): Promise<ScriptedServer> {
  const requests: ReceivedRequest[] = [];
  const waiters: { count: number; resolve: () => void }[] = [];
  const server = createServer((req, res) => {
    const n = requests.length;
    requests.push({
      method: req.method ?? '',
      url: req.url ?? '',
      authorization: req.headers.authorization,
      at: performance.now(),
    });
    for (const w of waiters.filter((w) => requests.length >= w.count)) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve();
    }
    script(req, res, n);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}/v1/`,
    requests,
    received(count) {
      if (requests.length >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
