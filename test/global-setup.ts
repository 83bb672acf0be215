import type { TestProject } from 'vitest/node';
import { connect } from '../src/db.ts';
import { migrateDatabase } from '../src/migrate.ts';

declare module 'vitest' {
  interface ProvidedContext {
    /** A URL on the test server with rights to create databases. */
    adminUrl: string;
    /** The migrated template every test file clones. */
    templateDb: string;
  }
}

const LOCAL_URL = 'postgres://postgres@127.0.0.1:5432/postgres';

async function answers(url: string): Promise<boolean> {
  const sql = connect(url, { max: 1, connect_timeout: 3 });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** TEST_DATABASE_URL or DATABASE_URL, else the local server, else a Testcontainers PostgreSQL. */
async function pickServer(): Promise<{ url: string; stop?: () => Promise<unknown> }> {
  const explicit = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL;
  if (explicit) return { url: explicit };
  if (await answers(LOCAL_URL)) return { url: LOCAL_URL };
  const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
  const container = await new PostgreSqlContainer('postgres:17-alpine').start();
  return { url: container.getConnectionUri(), stop: () => container.stop() };
}

export function withDatabase(url: string, database: string): string {
  const u = new URL(url);
  u.pathname = `/${database}`;
  return u.toString();
}

export default async function setup(project: TestProject) {
  const server = await pickServer();
  const templateDb = `racing_kit_tpl_${process.pid}`;
  const admin = connect(server.url, { max: 1 });
  await admin.unsafe(`drop database if exists "${templateDb}" with (force)`);
  await admin.unsafe(`create database "${templateDb}"`);
  await migrateDatabase(withDatabase(server.url, templateDb));
  // Cloning fails while anyone is connected to the template.
  await admin`select pg_terminate_backend(pid) from pg_stat_activity where datname = ${templateDb}`;
  project.provide('adminUrl', server.url);
  project.provide('templateDb', templateDb);
  return async () => {
    await admin.unsafe(`drop database if exists "${templateDb}" with (force)`);
    await admin.end();
    await server.stop?.();
  };
}
