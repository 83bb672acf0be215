import { readdir, readFile } from 'node:fs/promises';
import { describe, expect, test } from 'vitest';

// Migrations are the database's code: each table, view, function, index and type is created by one statement
// in one file, so that file is where its definition is read. A change before a release is made in that
// statement (the baseline is regenerated); a DROP-and-CREATE or CREATE OR REPLACE of an object another
// migration already created fails here.

const FOLDER = new URL('../../migrations/', import.meta.url);

/** The SQL without comments and without dollar-quoted bodies (a function's body creates nothing itself). */
function statementsText(sql: string): string {
  return sql.replace(/\$(\w*)\$[\s\S]*?\$\1\$/g, '$$$$').replace(/--[^\n]*/g, '');
}

const CREATE =
  /\bCREATE\s+(?:OR\s+REPLACE\s+)?(?:UNIQUE\s+)?(MATERIALIZED\s+VIEW|TABLE|VIEW|FUNCTION|PROCEDURE|INDEX|TYPE|SEQUENCE|TRIGGER)\s+(?:CONCURRENTLY\s+)?(?:IF\s+NOT\s+EXISTS\s+)?((?:"[^"]+"|\w+)(?:\.(?:"[^"]+"|\w+))?)/gi;

/** Every object a SQL text creates, as 'kind name' (kind lower case, name unquoted, without public.). */
function createdObjects(sql: string): string[] {
  return [...statementsText(sql).matchAll(CREATE)].map(([, kind, name]) => {
    const bare = name!
      .replaceAll('"', '')
      .toLowerCase()
      .replace(/^public\./, '');
    return `${kind!.toLowerCase().replace(/\s+/g, ' ')} ${bare}`;
  });
}

/** Objects created more than once across the files, with where: 'function f: 0001_a.sql, 0003_b.sql'. */
function createdTwice(files: Record<string, string>): string[] {
  const where = new Map<string, string[]>();
  for (const [file, sql] of Object.entries(files)) {
    for (const object of createdObjects(sql)) where.set(object, [...(where.get(object) ?? []), file]);
  }
  return [...where].filter(([, fs]) => fs.length > 1).map(([object, fs]) => `${object}: ${fs.join(', ')}`);
}

async function migrationFiles(): Promise<Record<string, string>> {
  const names = (await readdir(FOLDER)).filter((f) => f.endsWith('.sql')).sort();
  return Object.fromEntries(
    await Promise.all(names.map(async (n) => [n, await readFile(new URL(n, FOLDER), 'utf8')] as const)),
  );
}

describe('each object is created in one migration, once', () => {
  test('no table, view, function, index or type of migrations/ is created twice', async () => {
    const files = await migrationFiles();
    const objects = Object.values(files).flatMap(createdObjects);
    // The parse sees every kind it guards (a regex that matched nothing would pass any folder).
    expect(objects).toEqual(
      expect.arrayContaining([
        'table ra_mst_races',
        'index ra_mst_races_date_idx',
        'type ladder_metrics',
        'function ladder_walk',
        'function betfair_link_markets',
        'view v_l1_null_counts',
      ]),
    );
    expect(createdTwice(files)).toEqual([]);
  });

  test('the check catches a re-creation in a later file and a second one in the same file', () => {
    const files = {
      '0001_functions.sql': `CREATE FUNCTION ladder_walk(raw jsonb) RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
        CREATE VIEW "public"."v_a" AS (SELECT 1);
        CREATE INDEX "i" ON "t" USING btree ("c");`,
      '0003_change.sql': `-- CREATE TABLE in a comment is not a creation
        CREATE OR REPLACE FUNCTION ladder_walk(raw jsonb) RETURNS int LANGUAGE plpgsql AS $fn$
        BEGIN EXECUTE 'CREATE TABLE in_a_body (x int)'; RETURN 1; END $fn$;
        DROP VIEW "public"."v_a";--> statement-breakpoint
        create view v_a as (select 2);
        CREATE UNIQUE INDEX IF NOT EXISTS i ON t (c);
        CREATE TYPE x AS (a int); CREATE TYPE "public"."x" AS (a int);`,
    };
    expect(createdTwice(files)).toEqual([
      'function ladder_walk: 0001_functions.sql, 0003_change.sql',
      'view v_a: 0001_functions.sql, 0003_change.sql',
      'index i: 0001_functions.sql, 0003_change.sql',
      'type x: 0003_change.sql, 0003_change.sql',
    ]);
  });
});
