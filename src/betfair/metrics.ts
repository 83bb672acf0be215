// The derived metric columns: the fields of the ladder_metrics composite returned by
// derive_ladder_metrics() and, under the same names, columns of market_derived_metrics.
// SQL built from these names is safe: they are constants, never user input.

export const ROLES = ['home', 'away', 'draw'] as const;
export type Role = (typeof ROLES)[number];

const ROLE_FIELDS = [
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
