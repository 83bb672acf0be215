// The derived metric columns: the fields of the ladder_metrics composite returned by
// derive_ladder_metrics() and, under the same names, columns of market_derived_metrics.
// SQL built from these names is safe: they are constants, never user input.

export const ROLES = ['home', 'away', 'draw'] as const;
export type Role = (typeof ROLES)[number];

/** The fields of each role, named `${role}_${field}` in ladder_metrics and market_derived_metrics. */
export const ROLE_FIELDS = [
  'best_back',
  'best_lay',
  'best_back_size_l1',
  'best_lay_size_l1',
  'back_odds_l2',
  'back_size_l2',
  'back_odds_l3',
  'back_size_l3',
] as const;

export const METRIC_COLUMNS = [
  'total_volume',
  ...ROLES.flatMap((role) => ROLE_FIELDS.map((field) => `${role}_${field}`)),
] as readonly string[];

export const L1_BACK_SIZE_COLUMNS = [
  'home_best_back_size_l1',
  'away_best_back_size_l1',
  'draw_best_back_size_l1',
] as const;

export function isMetricColumn(name: string): boolean {
  return METRIC_COLUMNS.includes(name);
}

/** The fields the SQL function derive_ladder_back_l1() fills: level-1 back price and size of each role. */
export const L1_BACK_COLUMNS = ROLES.flatMap((role) => [
  `${role}_best_back`,
  `${role}_best_back_size_l1`,
]) as readonly string[];

/** The cheapest derivation that fills every one of these columns. */
export function deriveFunction(cols: readonly string[]): string {
  return cols.every((c) => L1_BACK_COLUMNS.includes(c)) ? 'derive_ladder_back_l1' : 'derive_ladder_metrics';
}
