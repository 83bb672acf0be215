-- Free the jobs of workers that died without a graceful shutdown (kill -9, OOM, a lost machine).
--
-- graphile-worker releases such locks by itself only after 4 hours. Run this when you KNOW that no
-- worker is running (all stopped), or pass the dead worker ids yourself: unlocking the jobs of a live
-- worker lets a second worker run them at the same time. The kit's tasks are idempotent, so a job run
-- twice writes the same rows, but it costs API calls.
--
--   psql "$DATABASE_URL" -f sql/unlock_dead_workers.sql

SELECT locked_by AS worker_id, count(*) AS locked_jobs, min(locked_at) AS locked_since
FROM graphile_worker.jobs
WHERE locked_by IS NOT NULL
GROUP BY locked_by;

SELECT graphile_worker.force_unlock_workers(
  array(SELECT DISTINCT locked_by FROM graphile_worker.jobs WHERE locked_by IS NOT NULL)
);
