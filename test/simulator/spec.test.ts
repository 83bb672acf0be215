/**
 * Checks the simulator's bodies against both official OpenAPI specs: every required property present at every level
 * (page, race, runner, odds, course), and no property the specs do not declare. The 2025 spec is JSON; the 1.4.3 spec
 * is YAML, read with the `yaml` package. Both live in test/fixtures/openapi.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  coursesPage,
  horsePro,
  racecardsPage,
  racesForDate,
  resultsPage,
} from '../../src/simulator/index.ts';
import { OPENAPI_DIR } from '../helpers/reference.ts';

interface SchemaInfo {
  required: string[];
  properties: string[];
  /** Property name -> referenced schema (object or array items). */
  refs: Record<string, string>;
}
type Schemas = (name: string) => SchemaInfo;

type SpecDocument = {
  components: { schemas: Record<string, { required?: string[]; properties?: Record<string, unknown> }> };
};

/** Both specs have the same shape once parsed: the 2025 one is JSON, the 1.4.3 one YAML. */
function schemasOf(spec: SpecDocument, label: string): Schemas {
  return (name) => {
    const schema = spec.components.schemas[name];
    if (!schema) throw new Error(`${label} spec has no schema ${name}`);
    const refs: Record<string, string> = {};
    for (const [prop, def] of Object.entries(schema.properties ?? {})) {
      const match = /#\/components\/schemas\/([A-Za-z0-9_]+)/.exec(JSON.stringify(def));
      if (match?.[1]) refs[prop] = match[1];
    }
    return { required: schema.required ?? [], properties: Object.keys(schema.properties ?? {}), refs };
  };
}

const readSpec = (file: string) => readFileSync(join(OPENAPI_DIR, file), 'utf8');
const jsonSchemas = () => schemasOf(JSON.parse(readSpec('the-racing-api-2025-10.json')), '2025');
const yamlSchemas = () => schemasOf(parseYaml(readSpec('the-racing-api-1.4.3.yml')), '1.4.3');

type Row = Record<string, unknown>;

/** Collects problems: missing required properties and undeclared ones, recursing through referenced schemas. */
function check(
  value: Row,
  schema: string,
  schemas: Schemas,
  path: string,
  problems: Set<string>,
  strict: boolean,
  later: readonly string[] = [],
): void {
  const info = schemas(schema);
  for (const key of info.required) {
    if (!(key in value)) problems.add(`${path}: missing required ${key} (${schema})`);
  }
  if (strict) {
    for (const key of Object.keys(value)) {
      if (!info.properties.includes(key) && !later.includes(key))
        problems.add(`${path}: ${key} not declared in ${schema}`);
    }
  }
  for (const [key, ref] of Object.entries(info.refs)) {
    const child = value[key];
    const items = Array.isArray(child) ? child : child && typeof child === 'object' ? [child] : [];
    for (const item of items) {
      if (item && typeof item === 'object' && !Array.isArray(item)) {
        check(item as Row, ref, schemas, `${path}.${key}`, problems, strict, later);
      }
    }
  }
}

const page = { limit: 500, skip: 0, query: [['date', 'x']] as [string, string][] };
const DATES = ['2024-01-06', '2024-03-12', '2024-07-27', '2025-10-13'];

function bodies() {
  const horseIds = racesForDate('2024-07-27')
    .flatMap((r) => r.runners)
    .slice(0, 40)
    .map((r) => r.horse.id);
  const pros = horseIds.map((id) => horsePro(id)).filter((h): h is Row => h !== null);
  const ancestors = pros
    .map((h) => horsePro(`hrs_${String(h.sire_id).slice(4)}`))
    .filter((h): h is Row => h !== null);
  return {
    results: DATES.map((d) => resultsPage([d], page)),
    racecards: DATES.map((d) => racecardsPage(d, page)),
    horses: [...pros, ...ancestors],
    courses: coursesPage(),
  };
}

describe('simulator bodies match the official OpenAPI specs', () => {
  const data = bodies();

  // The 2025 document predates the result runner's `bsp`, which v1.4.3 declares and the simulator sends.
  test.each([
    ['2025 spec', jsonSchemas, 'ResultsPage', 'RacecardsOddsProPage', ['bsp']],
    ['1.4.3 spec', yamlSchemas, 'ResultsStandardPage', 'RacecardsOddsProPage', []],
  ] as const)(
    '%s: required properties everywhere, nothing undeclared',
    (_label, load, resultsSchema, cardsSchema, later) => {
      const schemas = load();
      const problems = new Set<string>();
      // Property names must exist in the spec; the simulator omits race_status (v1.4.3 only).
      for (const body of data.results) check(body, resultsSchema, schemas, 'results', problems, true, later);
      for (const body of data.racecards) check(body, cardsSchema, schemas, 'racecards', problems, true);
      for (const body of data.horses) check(body, 'HorsePro', schemas, 'horse', problems, true);
      check(data.courses, 'CoursesPage', schemas, 'courses', problems, true);
      expect([...problems]).toEqual([]);
      expect(data.results.every((b) => (b.results as Row[]).length > 0)).toBe(true);
      expect(data.horses.length).toBeGreaterThan(30);
    },
  );

  test('the checker notices a missing required field', () => {
    const schemas = jsonSchemas();
    const body = structuredClone(data.results[0]) as Row;
    const firstRace = (body.results as Row[])[0] as Row;
    const runner = (firstRace.runners as Row[])[0] as Row;
    delete runner.horse_id;
    const problems = new Set<string>();
    check(body, 'ResultsPage', schemas, 'results', problems, true, ['bsp']);
    expect([...problems]).toEqual([
      'results.results.runners: missing required horse_id (app__models__result__Runner)',
    ]);
  });
});
