import { execFile } from 'node:child_process';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, test } from 'vitest';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DRIZZLE_KIT = join(ROOT, 'node_modules/drizzle-kit/bin.cjs');
const folders: string[] = [];

afterEach(async () => {
  await Promise.all(folders.splice(0).map((f) => rm(f, { recursive: true, force: true })));
});

/** A copy of migrations/, optionally without its last entries, in a temporary folder. */
async function seededFolder(dropLast = 0): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'kit-drift-'));
  folders.push(folder);
  await cp(join(ROOT, 'migrations'), folder, { recursive: true });
  if (dropLast > 0) {
    const journalPath = join(folder, 'meta', '_journal.json');
    const journal = JSON.parse(await readFile(journalPath, 'utf8'));
    const dropped: Array<{ idx: number; tag: string }> = journal.entries.splice(-dropLast);
    await writeFile(journalPath, JSON.stringify(journal));
    for (const e of dropped) {
      await rm(join(folder, `${e.tag}.sql`));
      await rm(join(folder, 'meta', `${String(e.idx).padStart(4, '0')}_snapshot.json`));
    }
  }
  return folder;
}

/** drizzle-kit generate from schema/ into the folder, non-interactively: its output and the SQL files it added. */
async function generate(folder: string): Promise<{ output: string; added: string[] }> {
  const before = new Set(await readdir(folder));
  // No config file (and so no DATABASE_URL): generate needs no database. stdin closed and CI set, so a question
  // drizzle-kit would ask (a rename?) fails the run instead of waiting; the timeout is a last resort.
  // --out must be relative: drizzle-kit prefixes it with './' (and exits 0 when it then cannot read the folder).
  const { stdout, stderr } = await run(
    process.execPath,
    [
      DRIZZLE_KIT,
      'generate',
      '--dialect=postgresql',
      '--schema=./schema/index.ts',
      `--out=${relative(ROOT, folder)}`,
    ],
    { cwd: ROOT, env: { ...process.env, CI: 'true' }, timeout: 60_000 },
  );
  const added = (await readdir(folder)).filter((f) => !before.has(f) && f.endsWith('.sql'));
  return { output: stdout + stderr, added };
}

describe('schema/ and migrations/ agree', () => {
  test('drizzle-kit generate from schema/ writes no new migration', async () => {
    const { output, added } = await generate(await seededFolder());
    expect(added).toEqual([]);
    expect(output).toContain('No schema changes, nothing to migrate');
  }, 90_000);

  test('the check catches drift: without the last migration, generate writes one', async () => {
    const { added } = await generate(await seededFolder(1));
    expect(added).toHaveLength(1);
    expect(await readFile(join(folders[0]!, added[0]!), 'utf8')).toMatch(/CREATE (TABLE|VIEW) "/);
  }, 90_000);
});
