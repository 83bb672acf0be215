-- Free the jobs of workers that died without freeing them (kill -9, OOM, a lost machine, a worker stopped
-- while it waited for the database to free its jobs).
--
-- graphile-worker releases such locks by itself only after 4 hours. A job is locked by its worker POOL
-- (`locked_by` = pool-…, one per `npm run worker` process, printed when it starts: "jobs locked as pool-…").
--
--   psql "$DATABASE_URL" -v owners=pool-abc,pool-def -f sql/unlock_dead_workers.sql   # those dead pools
--   psql "$DATABASE_URL" -f sql/unlock_dead_workers.sql                               # every lock
--
-- Without `owners` it frees every lock: run it so only when you KNOW that no worker is running. Unlocking the
-- jobs of a live worker lets a second worker run them at the same time; the kit's tasks are idempotent, so a
-- job run twice writes the same rows, but it costs API calls.

SELECT locked_by AS worker_pool, count(*) AS locked_jobs, min(locked_at) AS locked_since
FROM graphile_worker.jobs
WHERE locked_by IS NOT NULL
GROUP BY locked_by;

\if :{?owners}
SELECT graphile_worker.force_unlock_workers(string_to_array(:'owners', ','));
\else
SELECT graphile_worker.force_unlock_workers(
  array(SELECT DISTINCT locked_by FROM graphile_worker.jobs WHERE locked_by IS NOT NULL)
);
\endif
