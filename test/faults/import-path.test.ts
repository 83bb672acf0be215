// A {path} payload reads only files under KIT_IMPORT_DIR: resolveImportPath's rules, then the
// ingest_market_books task through the worker (refusals are job_errors rows and nothing else is written).
import { mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { ImportPathError, resolveImportPath } from '../../src/import-path.ts';
import { drainQueue } from '../../src/worker.ts';
import { useTestDatabase } from '../helpers/db.ts';
import { reportBook } from '../helpers/ladder.ts';
import { addJob } from '../helpers/racing-worker.ts';

const db = useTestDatabase();
let root: string; // holds imports/ (the import folder) and outside/ (a secret beside it)
let imports: string;
let secret: string;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'kit-import-'));
  imports = join(root, 'imports');
  await mkdir(join(imports, 'day'), { recursive: true });
  await mkdir(join(root, 'outside'));
  secret = join(root, 'outside', 'secret.json');
  await writeFile(secret, JSON.stringify([{ ...reportBook('1.901'), publishTime: 1_770_000_000_000 }]));
  await writeFile(
    join(imports, 'day', 'books.json'),
    JSON.stringify([{ ...reportBook('1.900'), publishTime: 1_770_000_000_000 }]),
  );
  await symlink(secret, join(imports, 'link-out.json'));
  await symlink(join(root, 'outside'), join(imports, 'dir-out'));
  await symlink(join(imports, 'day', 'books.json'), join(imports, 'link-in.json'));
});

const saved = process.env.KIT_IMPORT_DIR;
afterEach(() => {
  if (saved === undefined) delete process.env.KIT_IMPORT_DIR;
  else process.env.KIT_IMPORT_DIR = saved;
});

describe('resolveImportPath', () => {
  test('files under the folder, relative or absolute, and symlinks staying inside are allowed', async () => {
    const real = join(imports, 'day', 'books.json');
    expect(await resolveImportPath('day/books.json', imports)).toBe(real);
    expect(await resolveImportPath(real, imports)).toBe(real);
    expect(await resolveImportPath('link-in.json', imports)).toBe(real);
    expect(await resolveImportPath('./day//books.json', imports)).toBe(real);
  });

  test.each([
    ['unset folder', 'day/books.json', undefined, /KIT_IMPORT_DIR is not set/],
    ['..', '../outside/secret.json', 'imports', /must not contain "\.\."/],
    ['.. inside', 'day/../day/books.json', 'imports', /must not contain "\.\."/],
    ['absolute elsewhere', '/etc/passwd', 'imports', /outside KIT_IMPORT_DIR/],
    ['absolute secret', 'SECRET', 'imports', /outside KIT_IMPORT_DIR/],
    ['symlink to a file outside', 'link-out.json', 'imports', /leads outside KIT_IMPORT_DIR/],
    ['symlinked folder outside', 'dir-out/secret.json', 'imports', /leads outside KIT_IMPORT_DIR/],
    ['the folder itself', '.', 'imports', /outside KIT_IMPORT_DIR/],
    ['a folder inside', 'day', 'imports', /not a file/],
    ['missing', 'day/none.json', 'imports', /no such file/],
    ['NUL', 'day/books.json\0x', 'imports', /NUL/],
  ])('refused: %s', async (_name, requested, dir, message) => {
    const path = requested === 'SECRET' ? secret : requested;
    const folder = dir === undefined ? undefined : join(root, dir);
    const refusal = resolveImportPath(path, folder);
    await expect(refusal).rejects.toBeInstanceOf(ImportPathError);
    await expect(refusal).rejects.toThrow(message);
  });
});

describe('ingest_market_books {path} through the worker', () => {
  async function stored(marketId: string): Promise<number> {
    const [row] =
      await db.sql`select count(*)::int as n from market_book_snapshots where market_id = ${marketId}`;
    return row!.n;
  }
  async function refusals(): Promise<string[]> {
    const rows = await db.sql<{ error: string }[]>`
      delete from job_errors where task_identifier = 'ingest_market_books' and kind = 'invalid_payload'
      returning error`;
    return rows.map((r) => r.error).sort();
  }

  test('KIT_IMPORT_DIR unset: a path payload is refused with a job_errors row, even for a readable file', async () => {
    delete process.env.KIT_IMPORT_DIR;
    await addJob(db.sql, 'ingest_market_books', { path: join(imports, 'day', 'books.json') });
    await drainQueue({ connectionString: db.url, noHandleSignals: true });
    expect(await refusals()).toEqual([
      'invalid payload: path payloads are disabled: KIT_IMPORT_DIR is not set',
    ]);
    expect(await stored('1.900')).toBe(0);
    const [left] = await db.sql`select count(*)::int as n from graphile_worker.jobs`;
    expect(left?.n).toBe(0); // not retried
  });

  test('with KIT_IMPORT_DIR: ".." , a file elsewhere and a symlink out are refused; a file inside is imported', async () => {
    process.env.KIT_IMPORT_DIR = imports;
    for (const path of ['../outside/secret.json', secret, 'link-out.json', 'dir-out/secret.json'])
      await addJob(db.sql, 'ingest_market_books', { path });
    await addJob(db.sql, 'ingest_market_books', { path: 'day/books.json' });
    await drainQueue({ connectionString: db.url, noHandleSignals: true });
    expect(await refusals()).toEqual(
      [
        'invalid payload: path leads outside KIT_IMPORT_DIR: dir-out/secret.json',
        'invalid payload: path leads outside KIT_IMPORT_DIR: link-out.json',
        'invalid payload: path must not contain "..": ../outside/secret.json',
        `invalid payload: path is outside KIT_IMPORT_DIR: ${secret}`,
      ].sort(),
    );
    expect(await stored('1.901')).toBe(0);
    expect(await stored('1.900')).toBe(1);
  });
});
