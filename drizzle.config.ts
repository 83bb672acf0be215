import { defineConfig } from 'drizzle-kit';

// drizzle-kit only generates migrations here; `npm run migrate` applies them (with an advisory lock).
// Never use `drizzle-kit push`: it drops objects the TypeScript schema does not declare (views, graphile_worker).
export default defineConfig({
  dialect: 'postgresql',
  schema: './schema/index.ts',
  out: './migrations',
  dbCredentials: { url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres' },
  migrations: { table: '__drizzle_migrations', schema: 'drizzle' },
  strict: true,
});
