import { createReadStream } from 'node:fs';
import { PassThrough, pipeline, Readable, type Transform } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import tarStream from 'tar-stream';
import unbzip2 from 'unbzip2-stream';
import type { McmMessage } from './types.ts';

/** Where a line came from: the file given, and the archive member when the file is a tar. */
export interface StreamLocation {
  file: string;
  /** Path inside the tar archive, or null for a plain/gz/bz2 file. */
  entry: string | null;
  /** 1-based line number inside the (decompressed) file or member. */
  line: number;
}

export type StreamRecord =
  | ({ kind: 'message'; message: McmMessage } & StreamLocation)
  | ({ kind: 'error'; reason: string } & StreamLocation);

/** Formats a location as `file`, `file:line` or `file!entry:line` for messages. */
export function formatLocation(at: { file: string; entry: string | null; line?: number }): string {
  const base = at.entry === null ? at.file : `${at.file}!${at.entry}`;
  return at.line === undefined ? base : `${base}:${at.line}`;
}

/**
 * Every `mcm` message of a stream file, in file order, with memory flat in the file's size.
 * Layers are recognised by their magic bytes, not by the file name: gzip, bzip2 and tar (ustar),
 * nested as Betfair ships them (a .tar of per-market .bz2 files in folders; .tar.gz and .tar.bz2
 * work the same way). A line that is not JSON or not an mcm message is yielded as an error record
 * and reading goes on; corrupt compressed data or a truncated archive throws, naming the file.
 */
export async function* readStreamFile(path: string): AsyncGenerator<StreamRecord> {
  yield* readStreamChunks(createReadStream(path), path);
}

/** As readStreamFile, from any byte stream; `file` names it in locations and errors. */
export async function* readStreamChunks(
  chunks: AsyncIterable<Buffer | Uint8Array>,
  file: string,
): AsyncGenerator<StreamRecord> {
  yield* decodeLayers(chunks, file, null, 0);
}

const MAX_DEPTH = 4; // tar inside gzip inside ... : real files have at most two layers

async function* decodeLayers(
  chunks: AsyncIterable<Buffer | Uint8Array>,
  file: string,
  entry: string | null,
  depth: number,
): AsyncGenerator<StreamRecord> {
  const { head, all } = await peek(chunks, 512);
  if (depth < MAX_DEPTH && isGzip(head)) {
    yield* decodeLayers(decompress(all, createGunzip(), file, entry), file, entry, depth + 1);
  } else if (depth < MAX_DEPTH && isBzip2(head)) {
    yield* decodeLayers(
      decompress(all, unbzip2() as unknown as Transform, file, entry),
      file,
      entry,
      depth + 1,
    );
  } else if (depth < MAX_DEPTH && entry === null && isTar(head)) {
    yield* readTar(all, file, depth);
  } else {
    yield* parseLines(all, file, entry);
  }
}

async function* readTar(
  chunks: AsyncIterable<Buffer | Uint8Array>,
  file: string,
  depth: number,
): AsyncGenerator<StreamRecord> {
  const extract = tarStream.extract();
  const source = Readable.from(chunks);
  pipeline(source, extract, (error) => {
    if (error) extract.destroy(new Error(`${file}: not a readable tar archive (${error.message})`));
  });
  try {
    for await (const member of extract) {
      if (member.header.type !== 'file') {
        member.resume();
        continue;
      }
      yield* decodeLayers(member as AsyncIterable<Buffer>, file, member.header.name, depth + 1);
    }
  } finally {
    source.destroy();
    extract.destroy();
  }
}

function decompress(
  chunks: AsyncIterable<Buffer | Uint8Array>,
  decoder: Transform,
  file: string,
  entry: string | null,
): AsyncIterable<Buffer> {
  const out = new PassThrough();
  const source = Readable.from(chunks);
  pipeline(source, decoder, out, (error) => {
    if (error) {
      out.destroy(new Error(`${what}: cannot decompress (${error.message ?? String(error)})`));
    }
  });
  const what = formatLocation({ file, entry });
  return (async function* () {
    try {
      for await (const chunk of out) yield chunk as Buffer;
    } catch (error) {
      // Some decoders' errors escape the pipeline callback: name the file here as well.
      const message = (error as Error)?.message ?? String(error);
      throw message.startsWith(what) ? error : new Error(`${what}: cannot decompress (${message})`);
    } finally {
      source.destroy();
    }
  })();
}

async function* parseLines(
  chunks: AsyncIterable<Buffer | Uint8Array>,
  file: string,
  entry: string | null,
): AsyncGenerator<StreamRecord> {
  const decoder = new StringDecoder('utf8');
  let rest = '';
  let line = 0;
  for await (const chunk of chunks) {
    const text = rest + decoder.write(chunk as Buffer);
    let start = 0;
    for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start)) {
      line++;
      const record = parseLine(text.slice(start, nl), file, entry, line);
      if (record) yield record;
      start = nl + 1;
    }
    rest = text.slice(start);
  }
  rest += decoder.end();
  if (rest.length > 0) {
    const record = parseLine(rest, file, entry, line + 1);
    if (record) yield record;
  }
}

function parseLine(text: string, file: string, entry: string | null, line: number): StreamRecord | null {
  const trimmed = text.trim();
  if (trimmed === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(trimmed);
  } catch (error) {
    return { kind: 'error', reason: `not JSON (${(error as Error).message})`, file, entry, line };
  }
  const reason = notMcm(value);
  if (reason) return { kind: 'error', reason, file, entry, line };
  return { kind: 'message', message: value as McmMessage, file, entry, line };
}

function notMcm(value: unknown): string | null {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'not a JSON object';
  const m = value as Record<string, unknown>;
  if (m.op !== 'mcm') return `op ${JSON.stringify(m.op)} is not "mcm"`;
  if (typeof m.pt !== 'number' || !Number.isFinite(m.pt)) return 'mcm message without a numeric pt';
  if (m.mc !== undefined && !Array.isArray(m.mc)) return 'mc is not an array';
  for (const mc of (m.mc as unknown[] | undefined) ?? []) {
    const id = (mc as { id?: unknown } | null)?.id;
    if (typeof id !== 'string') return 'market change without a string id';
  }
  return null;
}

/** The first `size` bytes (or fewer at the end), and the whole stream again, nothing lost. */
async function peek(
  chunks: AsyncIterable<Buffer | Uint8Array>,
  size: number,
): Promise<{ head: Buffer; all: AsyncIterable<Buffer | Uint8Array> }> {
  const iterator = chunks[Symbol.asyncIterator]();
  const taken: (Buffer | Uint8Array)[] = [];
  let length = 0;
  let done = false;
  while (length < size) {
    const next = await iterator.next();
    if (next.done) {
      done = true;
      break;
    }
    taken.push(next.value);
    length += next.value.length;
  }
  const head = Buffer.concat(taken).subarray(0, size);
  async function* all() {
    yield* taken;
    if (done) return;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  }
  return { head, all: all() };
}

const isGzip = (b: Buffer) => b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b;
const isBzip2 = (b: Buffer) =>
  b.length >= 4 && b[0] === 0x42 && b[1] === 0x5a && b[2] === 0x68 && b[3]! >= 0x31 && b[3]! <= 0x39;
const isTar = (b: Buffer) => b.length >= 262 && b.toString('latin1', 257, 262) === 'ustar';
