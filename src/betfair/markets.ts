// betfair_markets and market_runners: one upsert for both of their sources, a stream file's last
// marketDefinition (ingest-stream.ts) and a listMarketCatalogue file (catalogue.ts), each brought to the
// MarketInfo shape first. A field a source does not give is absent from its MarketInfo, and an absent (NULL)
// field never blanks a stored one: a catalogue, which knows names and sort priorities but no status, BSP or
// removal, leaves what a stream file stored, and a stream definition without a name keeps the catalogue's.
// (The price of that rule: a value that really goes back to nothing, say a reinstated runner's removal date,
// is kept. Betfair does not reinstate a removed runner.)

import type { Db } from '../db.ts';
import type { MarketInfo } from './stream/index.ts';

const MARKET_COLUMNS: readonly (readonly [column: string, field: string, type: string])[] = [
  ['event_type_id', 'eventTypeId', 'text'],
  ['event_id', 'eventId', 'text'],
  ['event_name', 'eventName', 'text'],
  ['venue', 'venue', 'text'],
  ['country_code', 'countryCode', 'text'],
  ['timezone', 'timezone', 'text'],
  ['market_time', 'marketTime', 'timestamptz'],
  ['market_type', 'marketType', 'text'],
  ['market_name', 'name', 'text'],
  ['betting_type', 'bettingType', 'text'],
  ['number_of_winners', 'numberOfWinners', 'integer'],
  ['status', 'status', 'text'],
  ['bsp_reconciled', 'bspReconciled', 'boolean'],
  ['settled_time', 'settledTime', 'timestamptz'],
];

const RUNNER_COLUMNS: readonly (readonly [column: string, field: string, type: string])[] = [
  ['name', 'name', 'text'],
  ['sort_priority', 'sortPriority', 'integer'],
  ['status', 'status', 'text'],
  ['removal_date', 'removalDate', 'timestamptz'],
  ['adjustment_factor', 'adjustmentFactor', 'double precision'],
  ['bsp', 'bsp', 'double precision'],
];

// Built from the constant column lists above, never from input.
type Columns = typeof MARKET_COLUMNS;
const names = (cols: Columns) => cols.map(([c]) => c).join(', ');
const values = (cols: Columns, json: string) =>
  cols.map(([, f, t]) => `(${json} ->> '${f}')::${t}`).join(', ');
const keep = (cols: Columns, alias: string) =>
  cols.map(([c]) => `${c} = coalesce(excluded.${c}, ${alias}.${c})`).join(', ');
// Only a row that would change is written (no dead tuple, updated_at moves only on a change).
const changed = (cols: Columns, alias: string) =>
  `(${cols.map(([c]) => `${alias}.${c}`).join(', ')}) IS DISTINCT FROM (${cols
    .map(([c]) => `coalesce(excluded.${c}, ${alias}.${c})`)
    .join(', ')})`;

// One statement per batch of markets. Within a batch the last market of the same id wins (DISTINCT ON:
// ON CONFLICT may not touch a row twice in one statement), and so does the last runner of the same id.
const UPSERT_MARKETS = `
WITH input AS (
  SELECT x AS j, ord FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS a(x, ord)
),
markets AS (
  INSERT INTO betfair_markets AS b (market_id, ${names(MARKET_COLUMNS)}, updated_at)
  SELECT DISTINCT ON (j ->> 'marketId') j ->> 'marketId', ${values(MARKET_COLUMNS, 'j')}, now()
  FROM input
  ORDER BY j ->> 'marketId', ord DESC
  ON CONFLICT (market_id) DO UPDATE SET ${keep(MARKET_COLUMNS, 'b')}, updated_at = now()
  WHERE ${changed(MARKET_COLUMNS, 'b')}
  RETURNING 1
),
runners AS (
  INSERT INTO market_runners AS r (market_id, selection_id, ${names(RUNNER_COLUMNS)}, updated_at)
  SELECT DISTINCT ON (j ->> 'marketId', (x ->> 'selectionId')::bigint)
    j ->> 'marketId', (x ->> 'selectionId')::bigint, ${values(RUNNER_COLUMNS, 'x')}, now()
  FROM input CROSS JOIN LATERAL jsonb_array_elements(j -> 'runners') WITH ORDINALITY AS e(x, rord)
  ORDER BY j ->> 'marketId', (x ->> 'selectionId')::bigint, ord DESC, rord DESC
  ON CONFLICT (market_id, selection_id) DO UPDATE SET ${keep(RUNNER_COLUMNS, 'r')}, updated_at = now()
  WHERE ${changed(RUNNER_COLUMNS, 'r')}
  RETURNING 1
)
SELECT (SELECT count(*) FROM markets)::int AS markets, (SELECT count(*) FROM runners)::int AS runners`;

export interface MarketUpsertCounts {
  /** betfair_markets rows inserted or changed. */
  markets: number;
  /** market_runners rows inserted or changed. */
  runners: number;
}

/** Upserts markets and their runners (see the file comment for what is kept). */
export async function upsertMarkets(db: Db, markets: readonly MarketInfo[]): Promise<MarketUpsertCounts> {
  if (markets.length === 0) return { markets: 0, runners: 0 };
  const [row] = await db.unsafe<MarketUpsertCounts[]>(UPSERT_MARKETS, [JSON.stringify(markets)]);
  return { markets: row?.markets ?? 0, runners: row?.runners ?? 0 };
}
