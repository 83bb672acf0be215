// `npm run migrate` and `npm run doctor` queue load_courses once for a database whose courses were never
// loaded (the schedule only runs it on the 1st of each month).
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, inject, test } from 'vitest';
import { connect } from '../../src/db.ts';
import { drainQueue } from '../../src/worker.ts';
import { withDatabase } from '../global-setup.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { queuedJobs, useSimulator } from '../helpers/racing-worker.ts';

const exec = promisify(execFile);
const db = useTestDatabase();
const env = useSimulator();

function cli(name: string, url: string) {
  const file = fileURLToPath(new URL(`../../src/cli/${name}.ts`, import.meta.url));
  return exec(process.execPath, [file], { env: { ...process.env, DATABASE_URL: url } }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (e: { code: number; stdout: string; stderr: string }) => ({
      code: e.code,
      stdout: e.stdout,
      stderr: e.stderr,
    }),
  );
}

const setupJobs = async () =>
  (await queuedJobs(db.sql)).filter((j) => j.task_identifier === 'load_courses').map((j) => j.key);

describe('load_courses after setup', () => {
  test('migrate queues it once, doctor and a second migrate do not add another, none once loaded', async () => {
    const first = await cli('migrate', db.url);
    expect(first.code).toBe(0);
    expect(first.stdout.split('\n')[1]).toMatch(/^load_courses queued once \(job \d+\)/);
    expect(await setupJobs()).toEqual(['load_courses:setup']);

    expect((await cli('migrate', db.url)).code).toBe(0);
    const doctor = await cli('doctor', db.url);
    expect(doctor.stdout).toMatch(/courses loaded[\s│]+ok[\s│]+load_courses queued once/);
    expect(await setupJobs()).toEqual(['load_courses:setup']);

    env.sim.resetStats();
    await drainQueue({ connectionString: db.url, concurrency: 1, noHandleSignals: true });
    expect(env.sim.stats().byEndpoint.courses).toBe(2);
    expect(await queuedJobs(db.sql)).toEqual([]);

    const again = await cli('migrate', db.url);
    expect(again.stdout.split('\n')[1]).toBe('courses already loaded (the schedule reloads them monthly)');
    expect((await cli('doctor', db.url)).stdout).toMatch(
      /courses loaded[\s│]+ok[\s│]+courses already loaded/,
    );
    expect(await queuedJobs(db.sql)).toEqual([]);
  });

  test('doctor on a database without the worker schema says migrate queues it, and queues nothing', async () => {
    const admin = connect(inject('adminUrl'), { max: 1 });
    const name = `racing_kit_empty_${process.pid}_${Math.random().toString(16).slice(2, 8)}`;
    await admin.unsafe(`create database "${name}"`);
    try {
      const r = await cli('doctor', withDatabase(inject('adminUrl'), name));
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/courses loaded[\s│]+NO[\s│]+never loaded, and load_courses cannot be queued/);
      expect(r.stderr).toContain('courses loaded: npm run migrate (it queues load_courses once)');
    } finally {
      await admin.unsafe(`drop database if exists "${name}" with (force)`);
      await admin.end();
    }
  });
});
