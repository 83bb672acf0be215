import type { Db } from '../db.ts';

export interface RawResponse {
  endpoint: string;
  /** Identifies the request within its endpoint, e.g. 'results:2024-05-01:gb,ire:0' (date, regions, skip). */
  requestKey: string;
  date?: string | null;
  page?: number | null;
  status: number;
  /** The body exactly as received (JSON or not), or null when there was none. */
  body: string | null;
  valid: boolean;
  validationError?: string | null;
}

/**
 * Archive raw API responses, one pipelined statement each (a date has one or two pages). The body is kept
 * as the exact text the API sent: jsonb would re-encode it (key order, duplicate keys, number spelling),
 * and parsing a ~250 KB results page into jsonb was the largest single cost of a date's write (~4 ms of
 * ~25); as text it is only lz4-compressed. Query it with `body::jsonb`.
 *
 * A re-fetch replaces the stored response only when it differs, so an identical re-run leaves the row
 * untouched. Sent at call time (`execute()`), so it can be pipelined ahead of a date's other statements.
 */
export async function storeRawResponses(db: Db, responses: readonly RawResponse[]): Promise<void> {
  const byKey = new Map<string, RawResponse>();
  for (const r of responses) byKey.set(`${r.endpoint}\u0000${r.requestKey}`, r);
  await Promise.all(
    [...byKey.values()].map((r) =>
      db`
        insert into raw_responses as t (endpoint, request_key, date, page, status, body, valid, validation_error)
        values (${r.endpoint}, ${r.requestKey}, ${r.date ?? null}::date, ${r.page ?? null}::integer,
                ${r.status}::integer, ${r.body}::text, ${r.valid}::boolean, ${r.validationError ?? null}::text)
        on conflict (endpoint, request_key) do update set
          date = excluded.date, page = excluded.page, status = excluded.status, body = excluded.body,
          valid = excluded.valid, validation_error = excluded.validation_error, fetched_at = now()
        where (t.status, t.body, t.valid, t.validation_error)
          is distinct from (excluded.status, excluded.body, excluded.valid, excluded.validation_error)`.execute(),
    ),
  );
}
