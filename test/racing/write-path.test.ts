// The fast write path: values shipped as array literals arrive exactly, pipelined statements keep their order
// and report the first error, and enrich jobs are sent only where add_jobs would change something.
import { describe, expect, test } from 'vitest';
import { loadDayRows } from '../../src/racing/load.ts';
import { enqueueEnrichJobs } from '../../src/racing/queue.ts';
import { emptyDayRows, resultRows } from '../../src/racing/rows.ts';
import { HORSES, JOCKEYS, RACECARD_RUNNERS } from '../../src/racing/table-specs.ts';
import { upsertRows } from '../../src/racing/upsert.ts';
import { resultRace, resultRunner } from '../helpers/api-fixtures.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();

describe('array-literal upserts', () => {
  test('quotes, backslashes, braces, commas, the word NULL, empty strings and nested arrays arrive intact', async () => {
    const awkward = 'O\'Brien "The \\Boss" {x, y} NULL';
    await db.sql.begin((tx) =>
      loadDayRows(
        tx,
        'results',
        resultRows([resultRace({ race_id: 'rac_w1', runners: [resultRunner({ horse_id: 'hrs_w1' })] })]),
      ),
    );
    await db.sql.begin((tx) =>
      upsertRows(tx, RACECARD_RUNNERS, [
        {
          race_id: 'rac_w1',
          horse_id: 'hrs_w1',
          comment: awkward,
          spotlight: 'NULL',
          form: '',
          past_results_flags: ['C', 'D "x"', 'a,b', 'NULL', '{}', 'back\\slash'],
          trainer_rtf: Number.NaN,
        },
      ]),
    );
    const [r] = await db.sql`
      select comment, spotlight, form, past_results_flags, trainer_rtf
      from ra_mst_runners where race_id = 'rac_w1' and horse_id = 'hrs_w1'`;
    expect(r).toEqual({
      comment: awkward,
      spotlight: 'NULL',
      form: '',
      past_results_flags: ['C', 'D "x"', 'a,b', 'NULL', '{}', 'back\\slash'],
      // NaN is not a value: written as null (what JSON would have sent), so it never blanks a known one.
      trainer_rtf: null,
    });
  });

  test('an identical second upsert touches nothing (updated_at stays, zero rows updated)', async () => {
    const rows = [
      {
        id: 'hrs_w2',
        name: 'Twice "Quoted"',
        dob: '2019-04-01',
        enriched_at: new Date('2024-01-02T03:04:05Z'),
      },
    ];
    await db.sql.begin((tx) => upsertRows(tx, HORSES, rows));
    const [before] = await db.sql`select updated_at, enriched_at from ra_horses where id = 'hrs_w2'`;
    const second = await db.sql.begin((tx) => upsertRows(tx, HORSES, rows));
    const [after] = await db.sql`select updated_at, enriched_at from ra_horses where id = 'hrs_w2'`;
    expect(second).toEqual({ rows: 1, inserted: 0, updated: 0 });
    expect(after?.updated_at).toEqual(before?.updated_at);
    expect(after?.enriched_at).toEqual(new Date('2024-01-02T03:04:05Z'));
  });
  test('an unchanged row is not locked: a second transaction writing it does not wait for the first', async () => {
    const rows = [{ id: 'jky_w4', name: 'Shared Jockey' }];
    await db.sql.begin((tx) => upsertRows(tx, JOCKEYS, rows));
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let firstWrote: () => void = () => {};
    const wrote = new Promise<void>((resolve) => {
      firstWrote = resolve;
    });
    // The first date's transaction writes the jockey and stays open.
    const first = db.sql.begin(async (tx) => {
      await upsertRows(tx, JOCKEYS, rows);
      firstWrote();
      await held;
    });
    try {
      await wrote;
      // Waiting for the first one's row lock would end in this error instead of a count.
      const second = await db.sql.begin(async (tx) => {
        await tx`set local lock_timeout = '2s'`;
        return upsertRows(tx, JOCKEYS, rows);
      });
      expect(second).toEqual({ rows: 1, inserted: 0, updated: 0 });
    } finally {
      release();
      await first;
    }
  });
});

describe('pipelined loadDayRows', () => {
  test('a failing table rejects with its own error and nothing of the day stays', async () => {
    const rows = resultRows([
      resultRace({ race_id: 'rac_w3', runners: [resultRunner({ horse_id: 'hrs_w3' })] }),
    ]);
    // A course id longer than the index allows is not possible here; a runner whose race does not exist is.
    const bad = {
      ...emptyDayRows(),
      horses: rows.horses,
      runners: [{ ...rows.runners[0], race_id: 'rac_missing' }],
    };
    await expect(db.sql.begin((tx) => loadDayRows(tx, 'results', bad))).rejects.toThrow(/foreign key/);
    const [count] = await db.sql`select count(*)::int as n from ra_horses where id = 'hrs_w3'`;
    expect(count?.n).toBe(0);
  });
});

describe('enqueueEnrichJobs', () => {
  async function job(horseId: string) {
    const [row] = await db.sql`
      select attempts, revision, last_error from graphile_worker.jobs where key = ${`enrich_horse:${horseId}`}`;
    return row;
  }

  test('queues new horses once, leaves a waiting job untouched, resets a failed one, skips enriched horses', async () => {
    await db.sql`insert into ra_horses (id, enrichment_status) values ('hrs_e1', null), ('hrs_e2', null),
      ('hrs_e3', 'enriched'), ('hrs_e4', null)`;
    expect(await db.sql.begin((tx) => enqueueEnrichJobs(tx, ['hrs_e1', 'hrs_e2', 'hrs_e3']))).toBe(2);
    const waiting = await job('hrs_e1');
    expect(waiting).toMatchObject({ attempts: 0 });
    expect(await job('hrs_e3')).toBeUndefined();

    // hrs_e2's job failed once and waits for its retry: a later date resets it, as add_jobs always did.
    await db.sql`update graphile_worker._private_jobs set attempts = 1, last_error = 'boom'
      where key = 'enrich_horse:hrs_e2'`;
    // Another date with the same horses plus a new one.
    expect(await db.sql.begin((tx) => enqueueEnrichJobs(tx, ['hrs_e1', 'hrs_e2', 'hrs_e3', 'hrs_e4']))).toBe(
      2,
    );
    expect(await job('hrs_e1')).toEqual(waiting); // same revision: not rewritten
    expect(await job('hrs_e2')).toMatchObject({ attempts: 0, last_error: null });
    expect(await job('hrs_e4')).toMatchObject({ attempts: 0 });

    // A horse left NULL after its job ended (an enrichment that could not finish) is queued again.
    await db.sql`select graphile_worker.remove_job('enrich_horse:hrs_e4')`;
    expect(await db.sql.begin((tx) => enqueueEnrichJobs(tx, ['hrs_e4']))).toBe(1);
    expect(await db.sql.begin((tx) => enqueueEnrichJobs(tx, ['hrs_e1']))).toBe(0);
  });
});
