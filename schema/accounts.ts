import { sql } from 'drizzle-orm';
import { check, date, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

// The state of each Racing API account, shared by every worker: 'unauthorized' after a 401 that a probe of a
// recent results date confirmed (or a 403), 'checking' while one worker runs that probe (the others wait).
// Requests skip an account that is not 'ok'; a successful credential check (worker start, doctor) clears it.
export const apiAccounts = pgTable(
  'api_accounts',
  {
    accountId: text('account_id').primaryKey(),
    state: text('state').notNull().default('ok'),
    /** When the account entered its current state. */
    since: timestamptz('since').notNull().defaultNow(),
    /** The API's own words for the stop (never credentials). */
    message: text('message'),
    updatedAt: timestamptz('updated_at').notNull().defaultNow(),
  },
  (t) => [check('api_accounts_state_check', sql`${t.state} in ('ok', 'checking', 'unauthorized')`)],
);

// What an account's plan does not include, found once (by a job's 401 plus a probe, or by `npm run doctor`):
// a source ('results', 'racecards', 'horses') over a date range (null ends: open). Requests it covers are not
// sent; their dates become 'not_in_plan'. Deleted when a later check finds the source answering.
export const apiPlanGaps = pgTable(
  'api_plan_gaps',
  {
    accountId: text('account_id').notNull(),
    source: text('source').notNull(),
    firstDate: date('first_date', { mode: 'string' }),
    lastDate: date('last_date', { mode: 'string' }),
    /** Why, in one line, e.g. 'results older than 12 months need the historical results add-on'. */
    reason: text('reason').notNull(),
    message: text('message'),
    /** 'doctor' or 'worker'. */
    foundBy: text('found_by').notNull(),
    foundAt: timestamptz('found_at').notNull().defaultNow(),
  },
  (t) => [primaryKey({ name: 'api_plan_gaps_pkey', columns: [t.accountId, t.source] })],
);
