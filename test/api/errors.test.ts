import type { Server } from 'node:http';
import { afterAll, beforeAll, expect, test, vi } from 'vitest';
import { createApiServer, readOnlyClient } from '../../src/api/server.ts';
import type { Sql } from '../../src/db.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { insertMetadata, insertRawSnapshot, reportBook } from '../helpers/ladder.ts';
import { closeServer, listenLocal } from './listen.ts';

// A database error on a request: the client gets {error: "internal", id} and nothing of the database's text;
// the text goes to the server log, one line, under that id. This file's database is broken on purpose.

const db = useTestDatabase();
let reader: Sql;
let snapshotId = 0;
const servers: Server[] = [];

beforeAll(async () => {
  await insertMetadata(db.sql, '1.253489253');
  snapshotId = await insertRawSnapshot(db.sql, '1.253489253', '2026-02-14T18:06:58Z', reportBook());
  await db.sql`alter table market_book_snapshots rename column raw_payload to raw_payload_moved`;
  reader = readOnlyClient(db.url, 1);
});

afterAll(async () => {
  for (const server of servers) await closeServer(server);
  await reader?.end();
});

test('500 {error: "internal", id}; the database text only in the log line under that id', async () => {
  const logged: string[] = [];
  const api = createApiServer({ sql: reader, log: (line) => logged.push(line) });
  servers.push(api);
  const res = await fetch(`${await listenLocal(api)}/debug/snapshots/${snapshotId}/raw`);
  expect(res.status).toBe(500);
  const text = await res.text();
  const body = JSON.parse(text);
  expect(body).toEqual({ error: 'internal', id: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  expect(text).not.toMatch(/raw_payload|column|exist/);
  expect(logged).toEqual([
    `api error ${body.id}: GET "/debug/snapshots/${snapshotId}/raw": column "raw_payload" does not exist (42703)`,
  ]);
});

test('by default the line goes to stderr', async () => {
  const write = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
  try {
    const api = createApiServer({ sql: reader });
    servers.push(api);
    const res = await fetch(`${await listenLocal(api)}/debug/snapshots/${snapshotId}/raw`);
    const { id } = await res.json();
    const lines = write.mock.calls.map(([chunk]) => String(chunk)).filter((l) => l.startsWith('api error'));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^api error ${id}: .*does not exist \\(42703\\)\\n$`));
  } finally {
    write.mockRestore();
  }
});
