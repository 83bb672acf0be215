import { describe, expect, test } from 'vitest';
import { markUnauthorized, recordPlanGap } from '../../src/accounts.ts';
import { loadCoverage } from '../../src/report/coverage.ts';
import { renderReportHtml } from '../../src/report/html.ts';
import { useTestDatabase } from '../helpers/db.ts';

const db = useTestDatabase();

describe('the report shows the accounts', () => {
  test('an unauthorized account in red with since and message, the plan gaps, not_in_plan dates', async () => {
    await markUnauthorized(db.sql, 'acct_bad', '401: Invalid credentials');
    await db.sql`insert into api_accounts (account_id, state, since) values ('acct_good', 'ok', now())`;
    await recordPlanGap(db.sql, {
      accountId: 'acct_good',
      source: 'results',
      firstDate: null,
      lastDate: '2024-12-01',
      reason: 'results older than 12 months need the historical results add-on (Pro plan)',
      message: 'not in plan',
      foundBy: 'worker',
    });
    await db.sql`
      insert into fetch_state (source, date, status) values
        ('results', '2024-01-01', 'not_in_plan'), ('results', '2024-01-02', 'not_in_plan')`;
    const coverage = await loadCoverage(db.sql);
    const bad = coverage.accounts.accounts.find((a) => a.accountId === 'acct_bad');
    expect(bad).toMatchObject({ state: 'unauthorized', message: '401: Invalid credentials' });
    expect(coverage.backfill.find((b) => b.source === 'results')?.notInPlan).toBe(2);

    const html = renderReportHtml(coverage);
    const section = html.slice(
      html.indexOf('<section id="accounts">'),
      html.indexOf('<section id="backfill">'),
    );
    const row = (id: string) => section.split('<tr').find((r) => r.includes(`>${id}<`)) ?? '';
    expect(row('acct_bad')).toContain('class="failed"');
    expect(row('acct_bad')).toContain('<span class="flag">unauthorized</span>');
    expect(row('acct_bad')).toContain(`${bad?.since.slice(0, 10)} ${bad?.since.slice(11, 16)} UTC`);
    expect(row('acct_bad')).toContain('401: Invalid credentials');
    expect(row('acct_good')).not.toContain('class="failed"');
    expect(section).toContain('historical results add-on');
    expect(section).toContain('2024-12-01');
    expect(html).toContain('<th scope="col">Not in plan</th>');
  });
});
