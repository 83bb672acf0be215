import { defineConfig } from 'drizzle-kit';

// drizzle-kit generates migrations from schema/ into migrations/ (`npm run db:generate`, no database needed).
// `npm run migrate` applies them with graphile-worker's schema under an advisory lock; `npx drizzle-kit migrate`
// applies the same files (then install graphile-worker's schema yourself, README "Migrations").
// Never use `drizzle-kit push`: it drops objects the TypeScript schema does not declare (graphile_worker).
const CONNECTING_COMMANDS = ['migrate', 'push', 'pull', 'introspect', 'studio'];
const url = process.env.DATABASE_URL;
if (!url && process.argv.some((arg) => CONNECTING_COMMANDS.includes(arg))) {
  console.error(
    'error: DATABASE_URL is not set (e.g. DATABASE_URL=postgres://user@host:5432/db npx drizzle-kit migrate)',
  );
  process.exit(1);
}

export default defineConfig({
  dialect: 'postgresql',
  schema: './schema/index.ts',
  out: './migrations',
  ...(url ? { dbCredentials: { url } } : {}),
  migrations: { table: '__drizzle_migrations', schema: 'drizzle' },
  strict: true,
});
