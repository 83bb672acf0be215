import { describe, expect, test } from 'vitest';
import {
  backfillRangeProblem,
  inRacecardWindow,
  isFinal,
  racecardWindow,
  resultsDateProblem,
} from '../../src/racing/rules.ts';

const TODAY = '2026-03-10';

describe('date rules', () => {
  test('racecards exist from 2023-01-23 to today + 7', () => {
    expect(racecardWindow(TODAY)).toEqual({ first: '2023-01-23', last: '2026-03-17' });
    expect(inRacecardWindow('2023-01-22', TODAY)).toBe(false);
    expect(inRacecardWindow('2023-01-23', TODAY)).toBe(true);
    expect(inRacecardWindow('2026-03-17', TODAY)).toBe(true);
    expect(inRacecardWindow('2026-03-18', TODAY)).toBe(false);
  });

  test('a backfill may end at the last racecard date, not after', () => {
    expect(backfillRangeProblem('2026-03-17', TODAY)).toBeUndefined();
    expect(backfillRangeProblem('2026-03-18', TODAY)).toBe(
      'end_date 2026-03-18 is after 2026-03-17 (today + 7)',
    );
  });

  test('results up to today, none for a future date', () => {
    expect(resultsDateProblem(TODAY, TODAY)).toBeUndefined();
    expect(resultsDateProblem('2026-03-11', TODAY)).toBe('date 2026-03-11 is in the future (no results yet)');
  });

  test('only dates before today are final', () => {
    expect(isFinal('2026-03-09', TODAY)).toBe(true);
    expect(isFinal(TODAY, TODAY)).toBe(false);
    expect(isFinal('2026-03-11', TODAY)).toBe(false);
  });
});
