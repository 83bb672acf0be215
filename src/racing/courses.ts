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
