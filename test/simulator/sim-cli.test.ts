import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, test } from 'vitest';

const SIM = fileURLToPath(new URL('../../src/cli/sim.ts', import.meta.url));
const exec = promisify(execFile);

/** Resolves with the simulator's base URL once the CLI prints its listening line. */
function listeningUrl(child: ChildProcess): Promise<{ url: string; line: string }> {
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      out += chunk;
      const match = /listening on (\S+)(.*)\n/.exec(out);
      if (match) resolve({ url: match[1] as string, line: match[0] });
    });
    child.once('exit', (code) => reject(new Error(`sim exited with ${code} before listening: ${out}`)));
  });
}

const basic = (user: string, password: string): RequestInit => ({
  headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` },
});

describe('npm run sim', () => {
  test('--plan and repeatable --account user:password[@plan]', async () => {
    const child = spawn(
      process.execPath,
      [
        SIM,
        '--port',
        '0',
        '--today',
        '2025-10-14',
        '--plan',
        'standard',
        '--account',
        'a:p@ss@basic',
        '--account',
        'b:pw',
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    try {
      const { url, line } = await listeningUrl(child);
      expect(line).toMatch(/\(plan standard, 2 accounts\)/);
      const status = async (path: string, init: RequestInit) =>
        (await fetch(new URL(path, url), init)).status;
      const recent = 'results?start_date=2025-10-01&end_date=2025-10-01';
      expect(await status(recent, basic('a', 'p@ss'))).toBe(401); // basic plan: no results
      expect(await status('courses', basic('a', 'p@ss'))).toBe(200);
      expect(await status(recent, basic('b', 'pw'))).toBe(200); // standard plan
      expect(await status('results?start_date=2015-03-07&end_date=2015-03-07', basic('b', 'pw'))).toBe(401);
      expect(await status('courses', basic('b', 'wrong'))).toBe(401);
    } finally {
      child.kill('SIGTERM');
      await once(child, 'exit');
    }
  });

  test('a bad --account gives one line without the value', async () => {
    const failure = await exec(process.execPath, [SIM, '--port', '0', '--account', 'userhunter2']).then(
      () => null,
      (e: { code: number; stderr: string }) => e,
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toBe(
      'error: --account number 1 must look like username:password or username:password@plan\n',
    );
  });
});
