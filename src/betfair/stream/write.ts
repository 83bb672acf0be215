import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { gzipSync } from 'node:zlib';
import compressjs from 'compressjs';
import tarStream from 'tar-stream';
import type { McmMessage } from './types.ts';

/**
 * Writes stream files as Betfair ships them: NDJSON `mcm` lines, plain, gzip or bzip2, and tar
 * archives of such files. For tests, the demo and benchmarks: each file or archive member is built
 * in memory before it is written, so keep members to market size (Betfair's are one market each).
 */
export type Compression = 'none' | 'gzip' | 'bzip2';

/** A line is a message (serialised) or a raw string written as is (to make malformed lines). */
export type StreamLine = McmMessage | string;

export function encodeLines(lines: Iterable<StreamLine>): string {
  let text = '';
  for (const line of lines) text += `${typeof line === 'string' ? line : JSON.stringify(line)}\n`;
  return text;
}

export function compress(data: Buffer, compression: Compression): Buffer {
  if (compression === 'gzip') return gzipSync(data);
  // Block size 1 (100 kB): same format, and the pure-JS compressor is much faster with small blocks.
  if (compression === 'bzip2') return Buffer.from(compressjs.Bzip2.compressFile(data, undefined, 1));
  return data;
}

export async function writeStreamFile(
  path: string,
  lines: Iterable<StreamLine>,
  compression: Compression = 'none',
): Promise<void> {
  await writeFile(path, compress(Buffer.from(encodeLines(lines)), compression));
}

export interface TarMember {
  /** Path inside the archive, e.g. `PRO/2024/Jun/14/33371234/1.228512345.bz2`. */
  name: string;
  lines: Iterable<StreamLine>;
  compression: Compression;
}

/** A tar of stream files; folders are implied by the member names, as in Betfair's archives. */
export async function writeStreamTar(path: string, members: Iterable<TarMember>): Promise<void> {
  const pack = tarStream.pack();
  const done = pipeline(pack, createWriteStream(path));
  for (const member of members) {
    const data = compress(Buffer.from(encodeLines(member.lines)), member.compression);
    await new Promise<void>((resolve, reject) => {
      pack.entry({ name: member.name, size: data.length, mtime: new Date(0) }, data, (error) =>
        error ? reject(error) : resolve(),
      );
    });
  }
  pack.finalize();
  await done;
}
