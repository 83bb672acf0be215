import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';

/** One record of an input file: its exact JSON text (stored as received) and where it starts. */
export interface JsonRecord {
  text: string;
  /** 1-based line of the record's first character, for error messages. */
  line: number;
}

const GZIP_MAGIC = [0x1f, 0x8b];

/** The file's text as a stream of chunks, gunzipped when it starts with the gzip magic bytes. */
export async function* readTextChunks(path: string): AsyncGenerator<string> {
  const handle = await open(path, 'r');
  const head = Buffer.alloc(2);
  try {
    await handle.read(head, 0, 2, 0);
  } finally {
    await handle.close();
  }
  const raw = createReadStream(path);
  const gzipped = head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
  const stream = gzipped ? raw.pipe(createGunzip()) : raw;
  if (gzipped) raw.on('error', (error) => stream.destroy(error));
  stream.setEncoding('utf8');
  for await (const chunk of stream) yield chunk as string;
}

const WS = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Splits a stream of JSON text into records without holding the whole file: the elements of a
 * top-level array are records (`[{…},{…}]`), and so is every top-level value that is not an array
 * (NDJSON: one object per line; also a single object). Several top-level arrays in a row (one API
 * response per line) work too. Only structure is checked here; each record is parsed by the caller.
 */
export async function* splitJsonRecords(chunks: AsyncIterable<string>): AsyncGenerator<JsonRecord> {
  let buf = '';
  let pos = 0;
  let line = 1;
  let depth = 0; // nesting depth of the current position
  let recordDepth = 0; // depth at which records sit: 1 inside a top-level array, else 0
  let start = -1; // buffer index where the current record starts, -1 between records
  let startLine = 1;
  let inString = false;
  let escaped = false;

  for await (const chunk of chunks) {
    buf = start >= 0 ? buf.slice(start) + chunk : buf.slice(pos) + chunk;
    pos = start >= 0 ? pos - start : 0;
    if (start >= 0) start = 0;
    for (; pos < buf.length; pos++) {
      const c = buf.charCodeAt(pos);
      if (c === 0x0a) line++;
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 0x5c) escaped = true;
        else if (c === 0x22) inString = false;
        continue;
      }
      if (start < 0) {
        // Between records.
        if (WS.has(c) || (c === 0x2c && recordDepth === 1)) continue;
        if (c === 0x5b && depth === 0) {
          depth = 1;
          recordDepth = 1;
          continue;
        }
        if (c === 0x5d && depth === 1 && recordDepth === 1) {
          depth = 0;
          recordDepth = 0;
          continue;
        }
        if (c === 0xfeff && line === 1) continue; // byte order mark
        if (c !== 0x7b && c !== 0x5b) throw new Error(`expected a JSON object at line ${line}`);
        start = pos;
        startLine = line;
      }
      if (c === 0x22) inString = true;
      else if (c === 0x7b || c === 0x5b) depth++;
      else if (c === 0x7d || c === 0x5d) {
        depth--;
        if (depth < recordDepth) throw new Error(`unbalanced JSON at line ${line}`);
        if (depth === recordDepth) {
          yield { text: buf.slice(start, pos + 1), line: startLine };
          start = -1;
        }
      }
    }
  }
  if (inString || start >= 0 || depth !== 0) throw new Error(`unexpected end of JSON at line ${line}`);
}

/** Parsed records of a file: the JSON-RPC wrapper {"result": [...]} is unwrapped (held whole in memory). */
export async function* readJsonRecords(path: string): AsyncGenerator<JsonRecord & { value: unknown }> {
  for await (const record of splitJsonRecords(readTextChunks(path))) {
    let value: unknown;
    try {
      value = JSON.parse(record.text);
    } catch (error) {
      throw new Error(`${path}:${record.line}: not JSON (${(error as Error).message})`);
    }
    const result = (value as { result?: unknown } | null)?.result;
    if (value && typeof value === 'object' && !Array.isArray(value) && Array.isArray(result)) {
      for (const item of result) yield { text: JSON.stringify(item), line: record.line, value: item };
    } else if (Array.isArray(value)) {
      for (const item of value) yield { text: JSON.stringify(item), line: record.line, value: item };
    } else {
      yield { ...record, value };
    }
  }
}
