import postgres from 'postgres';

/** A postgres.js client (a pool): it can begin transactions. */
export type Sql = postgres.Sql;
/** A postgres.js transaction: it can open savepoints. */
export type Tx = postgres.TransactionSql;
/**
 * What library code takes when it only runs statements: a client or a transaction. The one database type of
 * the kit (racing and Betfair code alike); functions that begin transactions take Sql, ones that need
 * savepoints take Tx.
 */
export type Db = Sql | Tx;

/** DATABASE_URL, checked: a clear message instead of a driver stack trace later. */
export function databaseUrl(env: NodeJS.ProcessEnv = process.env): string {
  const url = env.DATABASE_URL;
  if (!url)
    throw new Error('DATABASE_URL is not set (for example postgres://user:pass@127.0.0.1:5432/racing)');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error('DATABASE_URL is not a valid URL (expected postgres://user:pass@host:port/database)');
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw new Error(`DATABASE_URL must start with postgres:// or postgresql://, not ${parsed.protocol}//`);
  }
  return url;
}

/** A postgres.js client for raw SQL (bulk paths, control tables). Never shared with drizzle(). */
export function connect(
  url: string,
  options: postgres.Options<Record<string, postgres.PostgresType>> = {},
): Sql {
  return postgres(url, {
    onnotice: () => {},
    connect_timeout: 10,
    ...options,
  });
}

/** Where a URL points, without its credentials: safe to print. */
export function describeTarget(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

const CONNECTION_CODES: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host not found',
  ETIMEDOUT: 'connection timed out',
  CONNECT_TIMEOUT: 'connection timed out',
  '28P01': 'password authentication failed',
  '28000': 'authentication rejected',
  '3D000': 'database does not exist',
};

/** One line for an error reaching the database, naming the target but never the password. */
export function describeDbError(error: unknown, url?: string): string {
  const e = error as { code?: string; message?: string; errors?: unknown[] };
  const code = e?.code ?? (e?.errors?.[0] as { code?: string } | undefined)?.code;
  const where = url ? ` at ${describeTarget(url)}` : '';
  if (code && CONNECTION_CODES[code])
    return `cannot connect to PostgreSQL${where}: ${CONNECTION_CODES[code]}`;
  const message = e?.message ?? String(error);
  return message.split('\n')[0] ?? message;
}

// A connection that was open broke: postgres.js's own codes, SQLSTATE class 08 (connection exception) and
// 57P01-57P03 (terminated by an administrator, a crash, a server starting or stopping), a reset socket.
const LOST_CONNECTION = /^(CONNECTION_(CLOSED|DESTROYED)|08[0-9A-Z]{3}|57P0[123]|ECONNRESET|EPIPE)$/;

/**
 * Whether an error says the database connection it ran on was lost (not that a statement was wrong). The
 * error's own code only: the Racing API client never passes a socket error through with its code.
 */
export function isLostConnection(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && LOST_CONNECTION.test(code);
}
