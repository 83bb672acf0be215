// load_courses: /v1/courses/regions and /v1/courses (every region) into ra_course_regions and ra_courses,
// with both raw answers, in one transaction. Two calls; run once after setup and monthly by the schedule.
// ra_courses also gets courses from every race page; this adds the ones no loaded race has used yet.

import type { Sql } from '../db.ts';
import type { CoursesPage, RacingApiClient, Regions } from '../racing-api/client.ts';
import type { ApiResult } from '../racing-api/result.ts';
import { id, text } from './parse.ts';
import { storeRawResponses } from './raw.ts';
import type { Row } from './rows.ts';
import { COURSE_REGIONS, COURSES } from './table-specs.ts';
import { upsertRows } from './upsert.ts';

/** Region rows from /v1/courses/regions; codes lower case as the API's region_code. */
export function regionRows(regions: Regions): Row[] {
  return regions.flatMap((r) => {
    const code = text(r.region_code)?.toLowerCase();
    return code ? [{ code, name: text(r.region) }] : [];
  });
}

/** Course rows from /v1/courses, shaped as the race loader writes them (rows.ts courseRow). */
export function courseRows(page: CoursesPage): Row[] {
  return page.courses.flatMap((c) => {
    const cid = id(c.id);
    return cid
      ? [
          {
            id: cid,
            name: text(c.course),
            region_code: text(c.region_code)?.toLowerCase() ?? null,
            region: text(c.region),
          },
        ]
      : [];
  });
}

export interface LoadCoursesOutcome {
  regions: number;
  courses: number;
  calls: number;
}

function problem(what: string, res: Extract<ApiResult<unknown>, { ok: false }>): Error {
  return new Error(`${what}: ${res.reason} (HTTP ${res.status}): ${res.error}`);
}

/**
 * Both calls first (no transaction open while waiting on the network), then one write. A terminal answer
 * throws one line and writes nothing; a transient one propagates so the job retries.
 */
export async function loadCourses(db: Sql, client: RacingApiClient): Promise<LoadCoursesOutcome> {
  const regions = await client.regions();
  if (!regions.ok) throw problem('/v1/courses/regions', regions);
  const courses = await client.courses([]);
  if (!courses.ok) throw problem('/v1/courses', courses);
  const regionList = regionRows(regions.data);
  const courseList = courseRows(courses.data);
  await db.begin(async (tx) => {
    await Promise.all([
      storeRawResponses(tx, [
        {
          endpoint: 'courses',
          requestKey: 'courses:regions',
          status: regions.status,
          body: regions.bodyText,
          valid: true,
        },
        {
          endpoint: 'courses',
          requestKey: 'courses:all',
          status: courses.status,
          body: courses.bodyText,
          valid: true,
        },
      ]),
      upsertRows(tx, COURSE_REGIONS, regionList),
      upsertRows(tx, COURSES, courseList),
    ]);
  });
  return { regions: regionList.length, courses: courseList.length, calls: 2 };
}

/** What `queueCourseLoad` found or did. */
export type CourseLoadSetup =
  | { state: 'loaded' }
  | { state: 'queued'; jobId: string }
  | { state: 'running' }
  | { state: 'no_worker_schema' };

/** The job key of the setup run: one job however many times migrate or doctor runs. */
export const COURSE_SETUP_JOB_KEY = 'load_courses:setup';

/**
 * Queue load_courses once, for a database whose courses were never loaded (no archived /v1/courses answer),
 * so the worker fills ra_courses and ra_course_regions without waiting for the monthly schedule. The job key
 * makes a second queueing update the waiting job instead of adding one (and re-arms one that failed for
 * good); while that job runs nothing is queued, as add_job would queue a second one beside it.
 */
export async function queueCourseLoad(db: Sql): Promise<CourseLoadSetup> {
  const [schema] = await db<{ present: boolean }[]>`
    select to_regclass('graphile_worker._private_jobs') is not null as present`;
  if (!schema?.present) return { state: 'no_worker_schema' };
  const [loaded] = await db`
    select 1 from raw_responses where endpoint = 'courses' and request_key = 'courses:all'`;
  if (loaded) return { state: 'loaded' };
  const [job] = await db<{ id: string }[]>`
    select (graphile_worker.add_job('load_courses', '{}'::json, job_key => ${COURSE_SETUP_JOB_KEY},
      job_key_mode => 'preserve_run_at')).id::text
    where not exists (
      select 1 from graphile_worker.jobs where key = ${COURSE_SETUP_JOB_KEY} and locked_at is not null)`;
  return job ? { state: 'queued', jobId: job.id } : { state: 'running' };
}

/** One line for migrate and doctor. */
export function describeCourseLoad(setup: CourseLoadSetup): string {
  switch (setup.state) {
    case 'loaded':
      return 'courses already loaded (the schedule reloads them monthly)';
    case 'queued':
      return `load_courses queued once (job ${setup.jobId}): npm run worker loads courses and regions (2 calls)`;
    case 'running':
      return 'load_courses is running';
    case 'no_worker_schema':
      return 'never loaded, and load_courses cannot be queued before the schema is complete (migrate queues it)';
  }
}
