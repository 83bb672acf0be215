import { z } from 'zod';
import type { Db } from '../db.ts';
import { readJsonRecords } from './json-records.ts';
import { MarketDays } from './link.ts';
import type { Warn } from './market-books.ts';
import { upsertMarkets } from './markets.ts';
import type { MarketInfo, MarketRunnerInfo } from './stream/index.ts';

const id = z.union([z.number(), z.string().regex(/^\d+$/)]).transform((v) => Number(v));
const text = z.string().optional().nullable();

const runnerSchema = z.looseObject({
  selectionId: id,
  runnerName: text,
  sortPriority: z.coerce.number().int(),
  handicap: z.number().optional().nullable(),
});

const catalogueSchema = z.looseObject({
  marketId: z.string().regex(/^\d+\.\d+$/, 'marketId must look like "1.234567"'),
  marketName: text,
  marketStartTime: text,
  runners: z.array(runnerSchema).optional(),
  event: z
    .looseObject({ id: text, name: text, countryCode: text, openDate: text, timezone: text, venue: text })
    .optional()
    .nullable(),
  competition: z.looseObject({ id: text, name: text }).optional().nullable(),
  eventType: z.looseObject({ id: text, name: text }).optional().nullable(),
  description: z.looseObject({ marketType: text, bettingType: text, marketTime: text }).optional().nullable(),
});

type Catalogue = z.infer<typeof catalogueSchema>;

function parseCatalogue(value: unknown, warn: Warn): Catalogue | undefined {
  const parsed = catalogueSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  warn(
    `not a MarketCatalogue (${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'invalid'}): skipped`,
  );
  return undefined;
}

/** A market_event_metadata row (snake_case keys, as jsonb_to_recordset reads them). */
export interface MetadataRow {
  market_id: string;
  market_name: string | null;
  market_start_time: string | null;
  event_id: string | null;
  event_name: string | null;
  event_open_date: string | null;
  country_code: string | null;
  competition_id: string | null;
  competition_name: string | null;
  home_selection_id: number;
  away_selection_id: number;
  draw_selection_id: number;
  home_runner_name: string | null;
  away_runner_name: string | null;
  draw_runner_name: string | null;
}

const norm = (s: string | null | undefined) => (s ?? '').trim().toLowerCase().replace(/\s+/g, ' ');

/**
 * Home/away/draw from sortPriority 1/2/3 (the soccer MATCH_ODDS convention; 0/1/2 when the runners
 * are numbered from 0, as some synthetic fixtures are). No row when a role is missing: a partial
 * mapping would let the backfill fill one role and silently skip the others. The event name
 * "Home v Away" is checked against the runner names; a mismatch is a warning, not an error, because
 * Betfair's spellings differ slightly between the two.
 */
export function catalogueToRow(value: unknown, warn: Warn): MetadataRow | undefined {
  const m = parseCatalogue(value, warn);
  return m && rolesOf(m, warn);
}

function rolesOf(m: Catalogue, warn: Warn): MetadataRow | undefined {
  const runners = m.runners ?? [];
  const base = runners.length > 0 && Math.min(...runners.map((r) => r.sortPriority)) === 0 ? 0 : 1;
  const byPriority = (p: number) => runners.filter((r) => r.sortPriority === base + p);
  const [home, away, draw] = [0, 1, 2].map(byPriority);
  const missing = (['home', 'away', 'draw'] as const).filter((_, i) => [home, away, draw][i]?.length !== 1);
  if (missing.length > 0 || !home?.[0] || !away?.[0] || !draw?.[0]) {
    warn(
      `market ${m.marketId}: no single runner for ${missing.join(', ')} (sortPriority ${base}..${base + 2}): no metadata row written`,
    );
    return undefined;
  }
  const h = home[0];
  const a = away[0];
  const d = draw[0];
  const eventName = m.event?.name ?? null;
  if (eventName) {
    const [eh, ea] = eventName.split(' v ');
    if (norm(eh) !== norm(h.runnerName) || norm(ea) !== norm(a.runnerName)) {
      warn(
        `market ${m.marketId}: event "${eventName}" does not read "${h.runnerName ?? '?'} v ${a.runnerName ?? '?'}" (home v away by sortPriority)`,
      );
    }
  }
  return {
    market_id: m.marketId,
    market_name: m.marketName ?? null,
    market_start_time: m.marketStartTime ?? null,
    event_id: m.event?.id ?? null,
    event_name: eventName,
    event_open_date: m.event?.openDate ?? null,
    country_code: m.event?.countryCode ?? null,
    competition_id: m.competition?.id ?? null,
    competition_name: m.competition?.name ?? null,
    home_selection_id: h.selectionId,
    away_selection_id: a.selectionId,
    draw_selection_id: d.selectionId,
    home_runner_name: h.runnerName ?? null,
    away_runner_name: a.runnerName ?? null,
    draw_runner_name: d.runnerName ?? null,
  };
}

const COLUMNS = [
  'market_name',
  'market_start_time',
  'event_id',
  'event_name',
  'event_open_date',
  'country_code',
  'competition_id',
  'competition_name',
  'home_selection_id',
  'away_selection_id',
  'draw_selection_id',
  'home_runner_name',
  'away_runner_name',
  'draw_runner_name',
] as const;

const TYPES: Record<(typeof COLUMNS)[number], string> = {
  market_name: 'text',
  market_start_time: 'timestamptz',
  event_id: 'text',
  event_name: 'text',
  event_open_date: 'timestamptz',
  country_code: 'text',
  competition_id: 'text',
  competition_name: 'text',
  home_selection_id: 'bigint',
  away_selection_id: 'bigint',
  draw_selection_id: 'bigint',
  home_runner_name: 'text',
  away_runner_name: 'text',
  draw_runner_name: 'text',
};

// One statement per batch; COALESCE(new, old): a later catalogue without, say, the competition never
// blanks what an earlier one stored. Within a batch the last row per market wins.
const UPSERT = `
INSERT INTO market_event_metadata AS m (market_id, ${COLUMNS.join(', ')})
SELECT DISTINCT ON (market_id) market_id, ${COLUMNS.join(', ')}
FROM jsonb_array_elements($1::text::jsonb) WITH ORDINALITY AS a(x, ord)
CROSS JOIN LATERAL jsonb_to_record(a.x) AS r(market_id text, ${COLUMNS.map((c) => `${c} ${TYPES[c]}`).join(', ')})
ORDER BY market_id, ord DESC
ON CONFLICT (market_id) DO UPDATE SET
  ${COLUMNS.map((c) => `${c} = COALESCE(EXCLUDED.${c}, m.${c})`).join(',\n  ')},
  last_seen_at = now()
RETURNING (xmax = 0) AS inserted`;

export async function upsertMetadata(db: Db, rows: readonly MetadataRow[]) {
  if (rows.length === 0) return { inserted: 0, updated: 0 };
  const result = await db.unsafe<{ inserted: boolean }[]>(UPSERT, [JSON.stringify(rows)]);
  const inserted = result.filter((r) => r.inserted).length;
  return { inserted, updated: result.length - inserted };
}

/** Soccer: the only event type whose markets can have home/away/draw. */
const SOCCER = '1';

/**
 * The market and its runners as betfair_markets and market_runners take them (the shape a stream file's
 * marketDefinition is brought to). Only what the catalogue gives: no status, BSP, removal or adjustment
 * factor, so an upsert keeps what a stream file stored (src/betfair/markets.ts).
 */
function marketInfoOf(m: Catalogue): MarketInfo {
  const given = <T>(v: T | null | undefined): T | undefined => v ?? undefined;
  return {
    marketId: m.marketId,
    eventTypeId: given(m.eventType?.id),
    eventId: given(m.event?.id),
    eventName: given(m.event?.name),
    venue: given(m.event?.venue),
    countryCode: given(m.event?.countryCode),
    timezone: given(m.event?.timezone),
    marketTime: given(m.marketStartTime ?? m.description?.marketTime),
    marketType: given(m.description?.marketType),
    name: given(m.marketName),
    bettingType: given(m.description?.bettingType),
    runners: (m.runners ?? []).map(
      (r): MarketRunnerInfo => ({
        selectionId: r.selectionId,
        handicap: r.handicap ?? 0,
        name: given(r.runnerName),
        sortPriority: r.sortPriority,
      }),
    ),
  };
}

export interface CatalogueCounts {
  received: number;
  /** betfair_markets and market_runners rows inserted or changed. */
  markets: number;
  runners: number;
  /** market_event_metadata rows (home/away/draw) inserted and updated. */
  roles_inserted: number;
  roles_updated: number;
  /** Records that are not a MarketCatalogue: nothing stored. */
  skipped: number;
  /** Horse-racing markets of the file's days linked to their races (betfair_link_markets). */
  linked: number;
}

/**
 * Every market of a listMarketCatalogue file into betfair_markets and market_runners, and, for soccer
 * markets (or markets whose event type is not given), its home/away/draw into market_event_metadata.
 * Batches of 1,000 markets, one statement per table each; then the horse-racing markets of the file's days
 * are linked to their races, as after a stream file.
 */
export async function importCatalogueFile(db: Db, path: string, warn: Warn): Promise<CatalogueCounts> {
  const counts: CatalogueCounts = {
    received: 0,
    markets: 0,
    runners: 0,
    roles_inserted: 0,
    roles_updated: 0,
    skipped: 0,
    linked: 0,
  };
  const days = new MarketDays();
  let markets: MarketInfo[] = [];
  let roles: MetadataRow[] = [];
  const flush = async () => {
    const m = await upsertMarkets(db, markets);
    counts.markets += m.markets;
    counts.runners += m.runners;
    const r = await upsertMetadata(db, roles);
    counts.roles_inserted += r.inserted;
    counts.roles_updated += r.updated;
    markets = [];
    roles = [];
  };
  for await (const record of readJsonRecords(path)) {
    counts.received++;
    const at: Warn = (message) => warn(`${path}:${record.line}: ${message}`);
    const m = parseCatalogue(record.value, at);
    if (!m) {
      counts.skipped++;
      continue;
    }
    const info = marketInfoOf(m);
    markets.push(info);
    days.add(info.marketTime);
    const eventType = m.eventType?.id;
    const row = eventType && eventType !== SOCCER ? undefined : rolesOf(m, at);
    if (row) roles.push(row);
    if (markets.length >= 1000) await flush();
  }
  await flush();
  counts.linked = await days.link(db);
  return counts;
}
