// Throw-away databases for the benchmarks: one per benchmark run, created on the server of
// BENCH_DATABASE_URL (else DATABASE_URL, else the local 127.0.0.1:5432), migrated with the kit's own
// migrateDatabase, and dropped WITH (FORCE) at the end. No other database is ever touched.
import { connect, type Sql } from '../../src/db.ts';
import { migrateDatabase } from '../../src/migrate.ts';

const LOCAL_SERVER = 'postgres://postgres@127.0.0.1:5432/postgres';

/** URL of the server's maintenance database ('postgres'), where CREATE/DROP DATABASE run. */
export function serverUrl(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.BENCH_DATABASE_URL || env.DATABASE_URL || LOCAL_SERVER;
  const url = new URL(base);
  url.pathname = '/postgres';
  return url.toString();
}

function databaseUrlFor(name: string): string {
  const url = new URL(serverUrl());
  url.pathname = `/${name}`;
  return url.toString();
}

export interface BenchDatabase {
  name: string;
  url: string;
  /** A client of the bench database (max 4 connections). */
  sql: Sql;
  drop(): Promise<void>;
}

const live = new Set<BenchDatabase>();

/** Names are built here from a fixed prefix, the benchmark name and the pid: safe to quote. */
function benchDbName(label: string): string {
  if (!/^[a-z0-9_]+$/.test(label)) throw new Error(`bad bench database label ${label}`);
  return `bench_${label}_${process.pid}`;
}

async function onServer<T>(fn: (sql: Sql) => Promise<T>): Promise<T> {
  const sql = connect(serverUrl(), { max: 1 });
  try {
    return await fn(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

async function dropByName(name: string): Promise<void> {
  await onServer((sql) => sql.unsafe(`drop database if exists "${name}" with (force)`));
}

function track(name: string, url: string): BenchDatabase {
  const db: BenchDatabase = {
    name,
    url,
    sql: connect(url, { max: 4 }),
    async drop() {
      live.delete(db);
      await db.sql.end({ timeout: 5 }).catch(() => {});
      await dropByName(name);
    },
  };
  live.add(db);
  return db;
}

/** CREATE DATABASE bench_<label>_<pid>, then the kit's migrations. */
export async function createBenchDatabase(label: string): Promise<BenchDatabase> {
  const name = benchDbName(label);
  await dropByName(name);
  await onServer((sql) => sql.unsafe(`create database "${name}"`));
  const url = databaseUrlFor(name);
  try {
    await migrateDatabase(url);
  } catch (error) {
    await dropByName(name);
    throw error;
  }
  return track(name, url);
}

/** Drops every database this process still holds (used on failure and on Ctrl-C). */
export async function dropAllBenchDatabases(): Promise<void> {
  for (const db of [...live]) await db.drop().catch(() => {});
}
