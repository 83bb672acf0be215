// enrich_horse: /v1/horses/{id}/pro once per horse, ever, and only for horses no pro racecard described.
// 'racecard' (a card carried the profile), 'enriched' and 'not_available' (404) are final; the last two are
// written with the raw response in one transaction, so a retry after a crash either finds the status (no
// call) or redoes the whole write. While a racecard fetch is still queued the job waits (no call): that
// fetch may describe the horse.

import type { Sql } from '../db.ts';
import { recordJobError } from '../job-errors.ts';
import type { RacingApiClient } from '../racing-api/client.ts';
import { colourCode, id, isoDate, sexCode, sexWord, splitRegionSuffix, text } from './parse.ts';
import { deferEnrichJob, RACECARD_FETCH_QUEUED } from './queue.ts';
import { storeRawResponses } from './raw.ts';
import { HORSES, PEDIGREES } from './table-specs.ts';
import { upsertRows } from './upsert.ts';

export interface EnrichOutcome {
  horseId: string;
  status: 'skipped' | 'deferred' | 'enriched' | 'not_available' | 'failed';
  calls: number;
  error?: string;
}

/** The fields of HorsePro the kit stores; every one may be null. */
export interface HorseProIn {
  id?: string | null;
  name?: string | null;
  dob?: string | null;
  sex?: string | null;
  sex_code?: string | null;
  colour?: string | null;
  colour_code?: string | null;
  breeder?: string | null;
  sire?: string | null;
  sire_id?: string | null;
  dam?: string | null;
  dam_id?: string | null;
  damsire?: string | null;
  damsire_id?: string | null;
}

/** Statuses after which no call is ever made for the horse. */
const FINAL_STATUSES = new Set(['racecard', 'enriched', 'not_available']);

/**
 * The ra_horses and ra_horse_pedigree rows of one /horses/{id}/pro answer: shared by enrichHorse and the
 * re-derive from raw_responses (rederive.ts). `region` is the one already known for the horse, else the
 * name's suffix.
 */
export function horseProRows(horseId: string, pro: HorseProIn, region: string | null, enrichedAt: string) {
  return {
    horse: {
      id: horseId,
      name: splitRegionSuffix(pro.name).name,
      dob: isoDate(pro.dob),
      sex: sexWord(pro.sex),
      sex_code: sexCode(pro.sex_code, pro.sex),
      colour: text(pro.colour),
      colour_code: text(pro.colour_code) ?? colourCode(pro.colour),
      region,
      breeder: text(pro.breeder),
      sire_id: id(pro.sire_id),
      dam_id: id(pro.dam_id),
      damsire_id: id(pro.damsire_id),
      enrichment_status: 'enriched',
      enriched_at: enrichedAt,
    },
    pedigree: {
      horse_id: horseId,
      sire_id: id(pro.sire_id),
      sire: splitRegionSuffix(pro.sire).name,
      dam_id: id(pro.dam_id),
      dam: splitRegionSuffix(pro.dam).name,
      damsire_id: id(pro.damsire_id),
      damsire: splitRegionSuffix(pro.damsire).name,
      breeder: text(pro.breeder),
      region,
    },
  };
}

export interface EnrichContext {
  jobId?: string | null;
  jobKey?: string | null;
}

export async function enrichHorse(
  db: Sql,
  client: RacingApiClient,
  horseId: string,
  ctx: EnrichContext = {},
): Promise<EnrichOutcome> {
  const [existing] = await db<
    { enrichment_status: string | null; region: string | null; racecard_queued: boolean }[]
  >`
    select h.enrichment_status, h.region, ${db.unsafe(RACECARD_FETCH_QUEUED)} as racecard_queued
    from ra_horses h where h.id = ${horseId}`;
  if (existing?.enrichment_status != null && FINAL_STATUSES.has(existing.enrichment_status)) {
    return { horseId, status: 'skipped', calls: 0 };
  }
  if (existing?.racecard_queued) {
    // A queued racecard fetch may bring its profile for free.
    await deferEnrichJob(db, horseId);
    return { horseId, status: 'deferred', calls: 0 };
  }
  // TransientApiError propagates: the task throws and graphile-worker retries with backoff.
  const res = await client.horsePro(horseId);
  const requestKey = `horses:${horseId}:pro`;
  const now = new Date().toISOString();
  if (res.ok) {
    const pro = res.data as HorseProIn;
    const region = existing?.region ?? splitRegionSuffix(pro.name).region;
    await db.begin(async (tx) => {
      await storeRawResponses(tx, [
        { endpoint: 'horses', requestKey, status: res.status, body: res.bodyText, valid: true },
      ]);
      const rows = horseProRows(horseId, pro, region, now);
      await upsertRows(tx, HORSES, [rows.horse]);
      await upsertRows(tx, PEDIGREES, [rows.pedigree]);
    });
    return { horseId, status: 'enriched', calls: 1 };
  }
  if (res.reason === 'not_found') {
    await db.begin(async (tx) => {
      await storeRawResponses(tx, [
        {
          endpoint: 'horses',
          requestKey,
          status: res.status,
          body: res.bodyText,
          valid: true,
        },
      ]);
      await upsertRows(tx, HORSES, [{ id: horseId, enrichment_status: 'not_available', enriched_at: now }]);
    });
    return { horseId, status: 'not_available', calls: 1 };
  }
  // Terminal but not about this horse being unknown (bad credentials, plan, schema drift): record it and
  // leave enrichment_status NULL, so the horse is queued again by a later day once the cause is fixed.
  const error = `${res.reason} (HTTP ${res.status}): ${res.error}`;
  await db.begin(async (tx) => {
    if (res.reason === 'invalid') {
      await storeRawResponses(tx, [
        {
          endpoint: 'horses',
          requestKey,
          status: res.status,
          body: res.bodyText,
          valid: false,
          validationError: res.path ? `${res.path}: ${res.error}` : res.error,
        },
      ]);
    }
    await recordJobError(tx, {
      task: 'enrich_horse',
      jobId: ctx.jobId,
      jobKey: ctx.jobKey,
      payload: { horse_id: horseId },
      kind: res.reason === 'invalid' ? 'invalid_response' : 'api_error',
      error,
    });
  });
  return { horseId, status: 'failed', calls: 1, error };
}
