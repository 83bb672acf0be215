// load_courses {}: /v1/courses/regions and /v1/courses into ra_course_regions and ra_courses (src/racing/courses.ts).
import { z } from 'zod';
import { CronStamp } from '../src/daily/cron.ts';
import { loadCourses } from '../src/racing/courses.ts';
import { defineTask } from '../src/task.ts';

export const loadCoursesTask = defineTask('load_courses', {
  // Strict: a misspelt key is refused rather than ignored. `_cron` is what the crontab adds.
  schema: z.object({ _cron: CronStamp }).strict(),
  async run(_p, { sql, helpers, racingApi }) {
    const o = await loadCourses(sql, racingApi());
    helpers.logger.info(`courses: ${o.courses} courses in ${o.regions} regions (${o.calls} calls)`);
  },
});
