// load_courses {}: /v1/courses/regions and /v1/courses into ra_course_regions and ra_courses (src/racing/courses.ts).
import { z } from 'zod';
import { loadCourses } from '../src/racing/courses.ts';
import { defineTask } from '../src/task.ts';

export const loadCoursesTask = defineTask('load_courses', {
  schema: z.object({}),
  async run(_p, { sql, helpers, racingApi }) {
    const o = await loadCourses(sql, racingApi());
    helpers.logger.info(`courses: ${o.courses} courses in ${o.regions} regions (${o.calls} calls)`);
  },
});
