// Where a task may read a file named in its payload. Whoever can call graphile_worker.add_job could otherwise
// make the worker read any file its user can, so a `{path}` payload is resolved under KIT_IMPORT_DIR and
// refused when that is unset or the file lies outside it. Every task that takes a path calls importPathOfJob.

import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import type { JobHelpers } from 'graphile-worker';
import type { Db } from './db.ts';
import { recordJobError } from './job-errors.ts';

export class ImportPathError extends Error {}

/**
 * The real path of `requested` (relative to `importDir`, or absolute inside it), or an ImportPathError
 * saying why not: no import folder configured, a `..` segment, a path outside the folder, a symlink whose
 * target is outside it (both sides are resolved with realpath before the containment check), a missing file
 * or a directory.
 * The caller opens the returned path, not the requested one.
 */
export async function resolveImportPath(requested: string, importDir: string | undefined): Promise<string> {
  if (!importDir) throw new ImportPathError('path payloads are disabled: KIT_IMPORT_DIR is not set');
  if (requested.includes('\0')) throw new ImportPathError('path contains a NUL character');
  if (requested.split(/[\\/]/).includes('..'))
    throw new ImportPathError(`path must not contain "..": ${requested}`);
  let dir: string;
  try {
    dir = await realpath(importDir);
  } catch {
    throw new ImportPathError(`KIT_IMPORT_DIR ${importDir} does not exist`);
  }
  const candidate = isAbsolute(requested) ? requested : resolve(dir, requested);
  if (!isInside(dir, resolve(candidate)) && !isInside(resolve(importDir), resolve(candidate)))
    throw new ImportPathError(`path is outside KIT_IMPORT_DIR: ${requested}`);
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    throw new ImportPathError(`no such file under KIT_IMPORT_DIR: ${requested}`);
  }
  if (!isInside(dir, real)) throw new ImportPathError(`path leads outside KIT_IMPORT_DIR: ${requested}`);
  if (!(await stat(real)).isFile()) throw new ImportPathError(`not a file: ${requested}`);
  return real;
}

function isInside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/**
 * For a task: the real path to read, or undefined after recording the refusal in job_errors
 * (kind invalid_payload: retrying cannot fix it, so the job then ends without a retry).
 */
export async function importPathOfJob(
  db: Db,
  helpers: JobHelpers,
  task: string,
  payload: unknown,
  requested: string,
): Promise<string | undefined> {
  try {
    return await resolveImportPath(requested, process.env.KIT_IMPORT_DIR);
  } catch (error) {
    if (!(error instanceof ImportPathError)) throw error;
    const message = `invalid payload: ${error.message}`;
    helpers.logger.error(`${task} job ${helpers.job.id}: ${message}`);
    await recordJobError(db, {
      task,
      jobId: helpers.job.id,
      jobKey: helpers.job.key,
      payload,
      kind: 'invalid_payload',
      error: message,
    });
    return undefined;
  }
}
