DROP VIEW "public"."v_backfill_progress";--> statement-breakpoint
CREATE VIEW "public"."v_backfill_progress" AS (
    WITH dates AS (
      SELECT
        src.source,
        count(f.date) AS total,
        count(*) FILTER (WHERE f.status IN ('done', 'outside_window')) AS done,
        count(*) FILTER (WHERE f.status = 'failed') AS failed,
        count(*) FILTER (WHERE f.status = 'pending') AS pending,
        count(*) FILTER (WHERE f.status = 'not_in_plan') AS not_in_plan,
        coalesce(avg(f.pages) FILTER (WHERE f.status = 'done' AND f.pages > 0), 1) AS pages_per_date
      FROM (VALUES ('racecards'), ('results')) AS src(source)
      LEFT JOIN fetch_state f ON f.source = src.source
      GROUP BY src.source
    ),
    horses AS (
      SELECT
        'horses'::text AS source,
        count(*) AS total,
        count(*) FILTER (WHERE enrichment_status = 'enriched') AS done,
        count(*) FILTER (WHERE enrichment_status = 'not_available') AS failed,
        count(*) FILTER (WHERE enrichment_status IS NULL) AS pending,
        0::bigint AS not_in_plan,
        1::numeric AS pages_per_date
      FROM ra_horses
    ),
    sources AS (
      SELECT source, 'dates'::text AS unit, total, done, failed, pending, not_in_plan, pages_per_date FROM dates
      UNION ALL
      SELECT source, 'horses', total, done, failed, pending, not_in_plan, pages_per_date FROM horses
    ),
    buckets AS (
      SELECT
        substring(b.key FROM '^racing_api(@[^:]*)?') AS account,
        substring(b.key FROM ':(.*)$') AS endpoint,
        b.interval_ms
      FROM rate_limit_slots b
      WHERE b.key ~ '^racing_api(@[^:]+)?(:[a-z]+)?$'
        AND (b.key LIKE 'racing_api@%') = (
          SELECT l.key LIKE 'racing_api@%' FROM rate_limit_slots l
          WHERE l.key ~ '^racing_api(@[^:]+)?(:[a-z]+)?$'
          ORDER BY l.updated_at DESC NULLS LAST, l.key LIMIT 1)
    ),
    rates AS (
      SELECT
        s.source,
        coalesce(
          (SELECT sum(1000.0 / coalesce(
                    (SELECT e.interval_ms FROM buckets e
                      WHERE e.account IS NOT DISTINCT FROM a.account AND e.endpoint = s.source),
                    (SELECT w.interval_ms FROM buckets w
                      WHERE w.account IS NOT DISTINCT FROM a.account AND w.endpoint IS NULL)))
             FROM (SELECT DISTINCT account FROM buckets) a),
          2.0
        ) AS rate_per_sec
      FROM sources s
    )
    SELECT
      s.source,
      s.unit,
      s.total,
      s.done,
      s.failed,
      s.pending,
      s.not_in_plan,
      (SELECT count(*) FROM api_requests a
        WHERE a.endpoint = s.source AND a.requested_at >= now() - interval '1 hour') AS requests_last_hour,
      ceil(s.pending * s.pages_per_date)::bigint AS requests_remaining,
      round(r.rate_per_sec::numeric, 3)::double precision AS rate_per_sec,
      make_interval(secs => ceil(s.pending * s.pages_per_date) / r.rate_per_sec) AS eta
    FROM sources s
    JOIN rates r USING (source)
    ORDER BY s.source
  );