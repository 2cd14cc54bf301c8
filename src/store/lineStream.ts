/**
 * JSON Lines input read as it arrives, for `vfi import` and `vfi assert --batch`: a file or stdin
 * in chunks, split at the byte \n (never inside a multi-byte UTF-8 sequence) into the non-blank
 * lines, numbered from 1, as bytes, so that the parser checks each line's UTF-8 itself. Only one
 * chunk and one line are held at a time, whatever the input's size.
 */
import * as fs from 'node:fs';
import { VfiError } from '../errors.js';
import { errnoWords } from '../errno.js';

/** A line longer than this is refused rather than held: no VFI or record comes near it. */
const MAX_LINE_BYTES = 80 * 1024 * 1024;

export interface Line {
  line: number;
  bytes: Buffer;
}

/** The chunks of FILE, or of stdin for `-`; a FILE that cannot be read is refused before anything else. */
export function inputChunks(file: string, stdin: () => AsyncIterable<Uint8Array>): { source: string; chunks: AsyncIterable<Uint8Array> } {
  if (file === '-') return { source: '<stdin>', chunks: stdin() };
  let fd: number;
  try {
    fd = fs.openSync(file, 'r');
    if (fs.fstatSync(fd).isDirectory()) {
      fs.closeSync(fd);
      throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    }
  } catch (e) {
    throw unreadableInput(file, e);
  }
  return { source: file, chunks: fs.createReadStream('', { fd, highWaterMark: 1 << 20 }) };
}

/** An input FILE that cannot be read: bad usage, in one line that says why in words. */
export function unreadableInput(file: string, e: unknown): VfiError {
  const code = (e as NodeJS.ErrnoException).code;
  const why = code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : errnoWords(e);
  return new VfiError('USAGE', `${file}: ${why}`, { file });
}

export async function* lines(chunks: AsyncIterable<Uint8Array>, source: string): AsyncGenerator<Line> {
  let rest: Buffer | undefined;
  let line = 1;
  const blank = (b: Buffer) => b.every((c) => c === 0x20 || c === 0x09 || c === 0x0d);
  for await (const chunk of chunks) {
    let buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let start = 0;
    if (rest) {
      // Only the line that spans the two chunks is joined: copying every chunk onto its leftover
      // made a second megabyte of garbage per megabyte read.
      const end = buf.indexOf(0x0a);
      if (end < 0) buf = Buffer.concat([rest, buf]);
      else {
        const bytes = Buffer.concat([rest, buf.subarray(0, end)]);
        if (!blank(bytes)) yield { line, bytes };
        line++;
        start = end + 1;
      }
    }
    for (let end = buf.indexOf(0x0a, start); end >= 0; end = buf.indexOf(0x0a, start)) {
      const bytes = buf.subarray(start, end);
      if (!blank(bytes)) yield { line, bytes };
      line++;
      start = end + 1;
    }
    rest = start < buf.length ? Buffer.from(buf.subarray(start)) : undefined;
    if (rest && rest.length > MAX_LINE_BYTES) {
      throw new VfiError('INVALID_INPUT', `${source}:${line}: line longer than ${MAX_LINE_BYTES} bytes`, { line });
    }
  }
  if (rest && !blank(rest)) yield { line, bytes: rest };
}
