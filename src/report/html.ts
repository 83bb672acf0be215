import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatBytes } from '../daily/table-sizes.ts';
import { betfairSectionHtml } from './betfair.ts';
import type { Coverage } from './coverage.ts';
import {
  chart,
  escapeHtml,
  noData,
  num,
  number,
  pct,
  statusLabel,
  type TableRow,
  table,
  text,
  utc,
} from './format.ts';
import { REPORT_STYLE } from './style.ts';

// The coverage report as one self-contained HTML page: tables carry every number (accessible and
// testable), Chart.js (inlined, so the file opens with no network) draws the pictures from the same
// JSON, embedded in the page.

let assets: { chartJs: string; client: string } | undefined;

/** Chart.js's UMD build and the report's client script, read once. */
function loadAssets(): { chartJs: string; client: string } {
  if (!assets) {
    // chart.js exports only its module builds; the UMD file sits beside them in dist/.
    const chartDist = dirname(createRequire(import.meta.url).resolve('chart.js'));
    assets = {
      chartJs: readFileSync(join(chartDist, 'chart.umd.min.js'), 'utf8'),
      client: readFileSync(new URL('./client.js', import.meta.url), 'utf8'),
    };
  }
  return assets;
}

/** Text safe inside a <script> element: it can never close the element early. */
function scriptSafe(source: string): string {
  return source.replace(/<\/(script)/gi, '<\\/$1');
}

export function renderReportHtml(coverage: Coverage): string {
  const { chartJs, client } = loadAssets();
  // JSON inside <script type="application/json">: escaping "<" keeps "</script>" in a course name inert.
  const data = JSON.stringify(coverage).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Racing data coverage report</title>
<style>${REPORT_STYLE}</style>
</head>
<body>
<header>
<h1>Racing data coverage</h1>
<p>Generated ${escapeHtml(utc(coverage.generatedAt))}. Years below ${pct(coverage.coverageTargetPct)} runner coverage are highlighted.</p>
</header>
<main>
${yearsSection(coverage)}
${horsesSection(coverage)}
${entitiesSection(coverage)}
${accountsSection(coverage)}
${backfillSection(coverage)}
${ladderSection(coverage)}
${requestsSection(coverage)}
${tableSizesSection(coverage)}
${betfairSectionHtml(coverage.betfair)}
</main>
<script type="application/json" id="coverage-data">${data}</script>
<script>${scriptSafe(chartJs)}</script>
<script>${scriptSafe(client)}</script>
</body>
</html>
`;
}

function section(id: string, title: string, body: string): string {
  return `<section id="${id}">\n<h2>${escapeHtml(title)}</h2>\n${body}\n</section>`;
}

function yearsSection({ years, coverageTargetPct }: Coverage): string {
  if (years.length === 0) return section('years', 'Races and runners per year', noData('No races yet.'));
  const rows: TableRow[] = years.map((y) => ({
    className: y.belowTarget ? 'below-target' : undefined,
    cells: [
      text(y.year),
      number(y.totalRaces),
      number(y.racesWithRunners),
      {
        html: y.belowTarget
          ? `${pct(y.coveragePct)} <span class="flag">below ${pct(coverageTargetPct)}</span>`
          : pct(y.coveragePct),
        className: 'num',
      },
      number(y.totalRunners),
      number(y.avgRunnersPerRace),
    ],
  }));
  return section(
    'years',
    'Races and runners per year',
    `${chart('chart-years', 'Runner coverage and average field size per year')}
${table(
  'Runner coverage by year',
  ['Year', 'Races', 'Races with runners', 'Coverage', 'Runners', 'Average field size'],
  rows,
)}`,
  );
}

function horsesSection({ enrichment, pedigree }: Coverage): string {
  const body =
    enrichment.totalHorses === 0
      ? noData('No horses yet.')
      : `${chart('chart-horses', 'Horse enrichment and pedigree coverage')}
${table(
  'Horse enrichment and pedigree coverage',
  ['Measure', 'Horses', 'Covered', 'Not covered', 'Coverage'],
  [
    {
      cells: [
        text('Enriched (/horses/{id}/pro)'),
        number(enrichment.totalHorses),
        number(enrichment.enrichedHorses),
        number(enrichment.notEnriched),
        { html: pct(enrichment.enrichmentPct), className: 'num' },
      ],
    },
    {
      cells: [
        text('With pedigree'),
        number(pedigree.totalHorses),
        number(pedigree.horsesWithPedigree),
        number(pedigree.totalHorses - pedigree.horsesWithPedigree),
        { html: pct(pedigree.pedigreeCoveragePct), className: 'num' },
      ],
    },
  ],
)}`;
  return section('horses', 'Enrichment and pedigree coverage', body);
}

function entitiesSection({ entities }: Coverage): string {
  const any = entities.some((e) => e.totalCount > 0);
  const rows = entities.map((e) => ({ cells: [text(e.entityType), number(e.totalCount)] }));
  return section(
    'entities',
    'Entity counts',
    `${any ? chart('chart-entities', 'Rows per entity (logarithmic scale)') : noData('No entities yet.')}
${table('Rows per entity', ['Entity', 'Rows'], rows)}`,
  );
}

function ladderSection({ l1Nulls, ladderBackfillRuns }: Coverage): string {
  const any = l1Nulls.some((c) => c.totalRows > 0);
  const nullRows = l1Nulls.map((c) => ({
    cells: [
      text(c.columnName),
      number(c.totalRows),
      number(c.nullCount),
      { html: pct(c.pctNull), className: 'num' },
      number(c.fillable),
      number(c.expected),
      number(c.nullCount7d),
    ],
  }));
  const runs =
    ladderBackfillRuns.length === 0
      ? noData('No ladder backfill runs yet.')
      : table(
          'Ladder backfill runs (newest first)',
          [
            'Run',
            'Mode',
            'Status',
            'Started',
            'Finished',
            'Scanned',
            'Derived rows created',
            'Updated by column',
            'Skipped by reason',
            'Errors',
            'Last error',
          ],
          ladderBackfillRuns.map((r) => ({
            className: r.status === 'failed' ? 'failed' : undefined,
            cells: [
              text(r.id),
              text(r.dryRun ? 'dry run' : 'real'),
              text(r.status),
              text(utc(r.startedAt)),
              text(utc(r.finishedAt)),
              number(r.scanned),
              number(r.derivedRowsCreated),
              text(keyCounts(r.updatedByColumn)),
              text(keyCounts(r.skippedByReason)),
              number(r.errors),
              text(r.lastError ?? ''),
            ],
          })),
        );
  return section(
    'ladder',
    'Betfair L1 back sizes: NULLs and backfill runs',
    `${any ? chart('chart-l1', 'L1 back size NULLs per role: fillable against expected') : noData('No Betfair snapshots yet.')}
${table(
  'NULL L1 back sizes per role (fillable: the raw ladder has a valid L1, so a backfill can fill it; expected: it has none)',
  ['Column', 'Snapshots', 'NULL', 'NULL share', 'Fillable', 'Expected', 'NULL in last 7 days'],
  nullRows,
)}
${runs}`,
  );
}

function keyCounts(counts: Record<string, unknown>): string {
  return Object.entries(counts)
    .map(([key, value]) => `${key}: ${typeof value === 'number' ? num(value) : String(value)}`)
    .join(', ');
}

function requestsSection({ requests }: Coverage): string {
  if (requests.total === 0)
    return section('requests', 'API requests', noData('No API requests recorded yet.'));
  const summary = `<p>${num(requests.total)} requests in the 24 hours ending at the newest request
(${escapeHtml(utc(requests.windowStart))} to ${escapeHtml(utc(requests.windowEnd))}):
peak <strong>${num(requests.peakPerMinute)}</strong> per minute, average ${num(requests.avgPerMinute)} per minute
over the active span.</p>`;
  return section(
    'requests',
    'API requests per minute by status (last 24 hours of activity)',
    `${summary}
${chart('chart-requests', 'API requests per minute, stacked by HTTP status', true)}
${table(
  'API requests by status in the window',
  ['Status', 'Requests', 'Share'],
  requests.byStatus.map((s) => ({
    className: s.status === null || s.status >= 400 ? 'failed' : undefined,
    cells: [
      text(statusLabel(s.status)),
      number(s.count),
      { html: pct(Math.round((10000 * s.count) / requests.total) / 100), className: 'num' },
    ],
  })),
)}`,
  );
}

// A stopped account (bad credentials) is in red with since when and the API's message; gaps list what a plan lacks.
function accountsSection({ accounts: { accounts, gaps } }: Coverage): string {
  if (accounts.length === 0 && gaps.length === 0)
    return section('accounts', 'Racing API accounts', noData('No account problems recorded.'));
  const states = table(
    'Account state (shared by every worker)',
    ['Account', 'State', 'Since', 'Message'],
    accounts.map((a) => ({
      className: a.state === 'ok' ? undefined : 'failed',
      cells: [
        text(a.accountId),
        { html: a.state === 'ok' ? 'ok' : `<span class="flag">${escapeHtml(a.state)}</span>` },
        text(utc(a.since)),
        text(a.message ?? ''),
      ],
    })),
  );
  const planGaps = table(
    'Not in the plan (those dates are not_in_plan and are not called)',
    ['Account', 'Source', 'From', 'To', 'Reason', 'Found by'],
    gaps.map((g) => ({
      cells: [
        text(g.accountId),
        text(g.source),
        text(g.firstDate ?? 'the beginning'),
        text(g.lastDate ?? 'the end'),
        text(g.reason),
        text(g.foundBy),
      ],
    })),
  );
  return section(
    'accounts',
    'Racing API accounts',
    `${states}
${planGaps}`,
  );
}

function backfillSection({ backfill }: Coverage): string {
  const any = backfill.some((b) => b.total > 0);
  return section(
    'backfill',
    'Backfill progress',
    `${any ? chart('chart-backfill', 'Backfill progress per source') : noData('Nothing queued yet.')}
${table(
  'Backfill progress per source',
  [
    'Source',
    'Unit',
    'Total',
    'Done',
    'Failed',
    'Pending',
    'Not in plan',
    'Requests last hour',
    'Requests left',
    'Rate /s',
    'ETA',
  ],
  backfill.map((b) => ({
    cells: [
      text(b.source),
      text(b.unit),
      number(b.total),
      number(b.done),
      number(b.failed),
      number(b.pending),
      number(b.notInPlan),
      number(b.requestsLastHour),
      number(b.requestsRemaining),
      number(b.ratePerSec),
      { html: escapeHtml(b.eta ?? ''), className: 'num' },
    ],
  })),
)}`,
  );
}

function tableSizesSection({ tableSizes }: Coverage): string {
  return section(
    'table-sizes',
    'Table sizes',
    table(
      'Disk size of every kit table with its indexes (raw_responses is the archive and is never pruned)',
      ['Table', 'Size'],
      tableSizes.map((t) => ({
        cells: [text(t.table), { html: escapeHtml(formatBytes(t.bytes)), className: 'num' }],
      })),
    ),
  );
}
