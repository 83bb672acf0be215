// The report's Betfair section: stream markets per year and how many are linked to the races
// (v_betfair_link_coverage), plus every market type per year from betfair_markets.

import type postgres from 'postgres';
import { escapeHtml, noData, number, pct, table, text } from './format.ts';

type Tx = postgres.TransactionSql;

export interface BetfairYear {
  year: number;
  markets: number;
  linked: number;
  linkedPct: number;
  runnersLinked: number;
  noRacingData: number;
  noCourse: number;
  noRaceNearOff: number;
  ambiguous: number;
  notAttempted: number;
}

export interface BetfairCoverage {
  /** Horse-racing markets per year and their links. */
  years: BetfairYear[];
  /** Every market of the stream files, per year and market type. */
  marketTypes: { year: number; marketType: string; markets: number }[];
}

export async function loadBetfairCoverage(tx: Tx): Promise<BetfairCoverage> {
  const years = await tx<BetfairYear[]>`
    select year, markets::float8 as markets, linked::float8 as linked, linked_pct::float8 as "linkedPct",
      runners_linked::float8 as "runnersLinked", unlinked_no_racing_data::float8 as "noRacingData",
      unlinked_no_course::float8 as "noCourse", unlinked_no_race_near_off::float8 as "noRaceNearOff",
      unlinked_ambiguous::float8 as ambiguous, not_attempted::float8 as "notAttempted"
    from v_betfair_link_coverage order by year`;
  const marketTypes = await tx<BetfairCoverage['marketTypes']>`
    select extract(year from market_time)::int as year, coalesce(market_type, 'unknown') as "marketType",
      count(*)::float8 as markets
    from betfair_markets group by 1, 2 order by 1, 2`;
  return { years: [...years], marketTypes: [...marketTypes] };
}

export function betfairSectionHtml({ years, marketTypes }: BetfairCoverage): string {
  const title = '<h2>Betfair markets</h2>';
  if (marketTypes.length === 0)
    return `<section id="betfair">\n${title}\n${noData('No Betfair stream files imported yet (npm run import:stream).')}\n</section>`;
  const linkRows = years.map((y) => ({
    cells: [
      text(y.year),
      number(y.markets),
      number(y.linked),
      { html: escapeHtml(pct(y.linkedPct)), className: 'num' },
      number(y.runnersLinked),
      number(y.noRacingData),
      number(y.noCourse),
      number(y.noRaceNearOff),
      number(y.ambiguous),
      number(y.notAttempted),
    ],
  }));
  const typeRows = marketTypes.map((m) => ({ cells: [text(m.year), text(m.marketType), number(m.markets)] }));
  return `<section id="betfair">
${title}
${table(
  'Horse-racing markets linked to races, per year (unlinked by reason)',
  [
    'Year',
    'Markets',
    'Linked',
    'Linked %',
    'Runners linked',
    'No racing data',
    'No course',
    'No race near off',
    'Ambiguous',
    'Not attempted',
  ],
  linkRows,
)}
${table('Markets per year and type', ['Year', 'Market type', 'Markets'], typeRows)}
</section>`;
}
