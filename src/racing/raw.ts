import type { Db } from './load.ts';

export interface RawResponse {
  endpoint: string;
  /** Identifies the request within its endpoint, e.g. 'results:2024-05-01:gb,ire:0' (date, regions, skip). */
  requestKey: string;
  date?: string | null;
  page?: number | null;
  status: number;
  body: unknown | null;
  bodyText?: string | null;
  valid: boolean;
  validationError?: string | null;
}

/**
 * Archive raw API responses (one statement for all of them). A re-fetch replaces the stored response
 * only when it differs, so an identical re-run leaves the row untouched. Sent at call time (`execute()`),
 * so it can be pipelined ahead of a date's other statements in the same transaction.
 */
export async function storeRawResponses(db: Db, responses: readonly RawResponse[]): Promise<void> {
  if (responses.length === 0) return;
  const byKey = new Map<string, RawResponse>();
  for (const r of responses) byKey.set(`${r.endpoint}\u0000${r.requestKey}`, r);
  const rows = [...byKey.values()].map((r) => ({
    endpoint: r.endpoint,
    request_key: r.requestKey,
    date: r.date ?? null,
    page: r.page ?? null,
    status: r.status,
    body: r.body ?? null,
    body_text: r.bodyText ?? null,
    valid: r.valid,
    validation_error: r.validationError ?? null,
  }));
  await db
    .unsafe(
      `insert into raw_responses as t (endpoint, request_key, date, page, status, body, body_text, valid, validation_error)
     select endpoint, request_key, date, page, status, body, body_text, valid, validation_error
     from jsonb_to_recordset(($1::text)::jsonb) as x(endpoint text, request_key text, date date, page integer,
       status integer, body jsonb, body_text text, valid boolean, validation_error text)
     on conflict (endpoint, request_key) do update set
       date = excluded.date, page = excluded.page, status = excluded.status, body = excluded.body,
       body_text = excluded.body_text, valid = excluded.valid, validation_error = excluded.validation_error,
       fetched_at = now()
     where (t.status, t.body, t.body_text, t.valid, t.validation_error)
       is distinct from (excluded.status, excluded.body, excluded.body_text, excluded.valid, excluded.validation_error)`,
      [JSON.stringify(rows)],
    )
    .execute();
}
