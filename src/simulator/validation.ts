/** FastAPI-style query validation for the simulator (422 bodies shaped like the real API's). */
import { parseDate } from './format.ts';

export interface ValidationIssue {
  loc: [string, string];
  msg: string;
  type: string;
  ctx?: Record<string, number>;
}

export class QueryError extends Error {
  readonly issues: ValidationIssue[];
  constructor(issues: ValidationIssue[]) {
    super(issues.map((i) => `${i.loc.join('.')}: ${i.msg}`).join('; '));
    this.issues = issues;
  }
}

export function missing(name: string): QueryError {
  return new QueryError([{ loc: ['query', name], msg: 'field required', type: 'value_error.missing' }]);
}

/** An integer query parameter with FastAPI's ge/le checks; `fallback` when absent. */
export function intParam(
  params: URLSearchParams,
  name: string,
  fallback: number,
  min: number,
  max: number,
): number {
  const raw = params.get(name);
  if (raw === null) return fallback;
  if (!/^-?\d+$/.test(raw.trim())) {
    throw new QueryError([
      { loc: ['query', name], msg: 'value is not a valid integer', type: 'type_error.integer' },
    ]);
  }
  const value = Number(raw);
  if (value < min) {
    throw new QueryError([
      {
        loc: ['query', name],
        msg: `ensure this value is greater than or equal to ${min}`,
        type: 'value_error.number.not_ge',
        ctx: { limit_value: min },
      },
    ]);
  }
  if (value > max) {
    throw new QueryError([
      {
        loc: ['query', name],
        msg: `ensure this value is less than or equal to ${max}`,
        type: 'value_error.number.not_le',
        ctx: { limit_value: max },
      },
    ]);
  }
  return value;
}

export function dateParam(params: URLSearchParams, name: string): string | null {
  const raw = params.get(name);
  if (raw === null || raw === '') return null;
  if (parseDate(raw) === null) {
    throw new QueryError([{ loc: ['query', name], msg: 'invalid date format', type: 'value_error.date' }]);
  }
  return raw;
}
