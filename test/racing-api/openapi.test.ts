// Every property the official specs define for the four responses the kit reads must be parsed by the
// zod schemas or listed in knowinglyRawOnly (kept in the raw archive only). Both spec versions are read
// from test/fixtures/openapi: the 2025-10 JSON and the v1.4.3 YAML.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  coursesPageSchema,
  horseProSchema,
  knowinglyRawOnly,
  racecardsPageSchema,
  resultsPageSchema,
} from '../../src/racing-api/schemas.ts';
import { OPENAPI_DIR } from '../helpers/reference.ts';
import { type CoverageReport, coverage, type SchemaSource, specSource } from './spec-coverage.ts';

const jsonSpec = JSON.parse(readFileSync(join(OPENAPI_DIR, 'the-racing-api-2025-10.json'), 'utf8'));
const yamlSpec = parseYaml(readFileSync(join(OPENAPI_DIR, 'the-racing-api-1.4.3.yml'), 'utf8'));

// The kit requires these although the 2025 spec does not: a results page without its list is not a page.
const stricterThanSpec = {
  'ResultsPage.results': 'a page must carry its results array (v1.4.3 requires it too)',
};

// Spec component names per response, as each spec names them.
const responses2025 = [
  ['ResultsPage', resultsPageSchema],
  ['RacecardsOddsProPage', racecardsPageSchema],
  ['HorsePro', horseProSchema],
  ['CoursesPage', coursesPageSchema],
] as const;
const responses143 = [
  ['ResultsStandardPage', resultsPageSchema],
  ['RacecardsOddsProPage', racecardsPageSchema],
  ['HorsePro', horseProSchema],
  ['CoursesPage', coursesPageSchema],
] as const;

function run(
  source: SchemaSource,
  responses: typeof responses2025 | typeof responses143,
  checkRequired: boolean,
) {
  const report: CoverageReport = { missing: [], mismatches: [], checked: [] };
  for (const [name, schema] of responses) {
    coverage(source, name, schema, { rawOnly: knowinglyRawOnly, checkRequired, stricterThanSpec }, report);
  }
  return report;
}

describe('zod schemas against the 2025-10 OpenAPI spec', () => {
  const source = specSource(jsonSpec);

  it('the spec endpoints answer with the components compared here', () => {
    const ref = (path: string) =>
      jsonSpec.paths[path].get.responses['200'].content['application/json'].schema.$ref;
    expect(ref('/v1/results')).toBe('#/components/schemas/ResultsPage');
    expect(ref('/v1/racecards/pro')).toBe('#/components/schemas/RacecardsOddsProPage');
    expect(ref('/v1/horses/{horse_id}/pro')).toBe('#/components/schemas/HorsePro');
    expect(ref('/v1/courses')).toBe('#/components/schemas/CoursesPage');
  });

  it('parses or knowingly leaves raw every property, with matching required/optional/nullable', () => {
    const report = run(source, responses2025, true);
    expect(report.missing).toEqual([]);
    expect(report.mismatches).toEqual([]);
    // The walk reached the nested components through their $ref chains.
    for (const key of [
      'Result.runners',
      'app__models__result__Runner.horse_id',
      'RunnerOddsPro.odds',
      'OddsHistory.history',
      'app__models__courses__Course.region_code',
    ]) {
      expect(report.checked).toContain(key);
    }
  });

  it('fails for a spec property that is neither parsed nor listed', () => {
    const altered = structuredClone(jsonSpec);
    altered.components.schemas.RunnerOddsPro.properties.new_rating = { type: 'string' };
    altered.components.schemas.HorsePro.properties.region = { type: 'string' };
    const report = run(specSource(altered), responses2025, true);
    expect(report.missing).toEqual(['RunnerOddsPro.new_rating', 'HorsePro.region']);
  });

  it('fails when a spec-required field is optional in zod', () => {
    const altered = structuredClone(jsonSpec);
    altered.components.schemas.HorsePro.required.push('name');
    expect(run(specSource(altered), responses2025, true).mismatches).toEqual([
      'HorsePro.name is required by the spec but optional',
    ]);
  });
});

describe('zod schemas against the v1.4.3 OpenAPI spec', () => {
  const source = specSource(yamlSpec);

  it('reads the components it needs from the YAML', () => {
    const runner = source('RunnerStandard');
    expect(Object.keys(runner.properties)).toContain('bsp');
    expect(runner.required).toContain('horse_id');
    expect(source('RunnerOddsPro').properties.dob?.nullable).toBe(true);
    expect(source('ResultStandard').properties.runners?.ref).toBe('RunnerStandard');
  });

  it('parses or knowingly leaves raw every property, and accepts null where v1.4.3 allows it', () => {
    const report = run(source, responses143, false);
    expect(report.missing).toEqual([]);
    expect(report.mismatches).toEqual([]);
    expect(report.checked).toContain('RacecardOddsPro.race_status');
  });
});

describe('knowinglyRawOnly', () => {
  it('names only properties that one of the specs defines', () => {
    const checked = new Set([
      ...run(specSource(jsonSpec), responses2025, true).checked,
      ...run(specSource(yamlSpec), responses143, false).checked,
    ]);
    expect(Object.keys(knowinglyRawOnly).filter((key) => !checked.has(key))).toEqual([]);
  });
});
