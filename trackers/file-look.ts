// Looks at a whole file and compares it with the bytes the caller expects, without allocating per look:
// the file is read into one buffer kept (and grown) across calls. The loop's guards look at the tickets
// file and at events.jsonl several times a pass; reading them into a new string or buffer each time made
// the loop's memory grow with the batch (a 1,000-ticket run allocated ~11 GB that way, most of it
// copies of its own events log, and its RSS went from ~150 to ~250 MB).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

export type FileLook =
  | { kind: 'same' }
  | { kind: 'missing' }
  /** `bytes` is a copy of what the file holds (the reusable buffer is not handed out). */
  | { kind: 'different'; bytes: Buffer };

export type FileLooker = { look(path: string, expected: Buffer): FileLook };

/** `buffer`, or one at least twice as large holding its first `used` bytes when `needed` does not fit. */
function withRoom(buffer: Buffer, needed: number, used: number): Buffer {
  if (needed <= buffer.length) return buffer;
  const grown = Buffer.alloc(Math.max(needed, buffer.length * 2));
  buffer.copy(grown, 0, 0, used);
  return grown;
}

export function openFileLooker(): FileLooker {
  let buffer: Buffer = Buffer.alloc(64 * 1024);
  return {
    look(path, expected) {
      let fd: number;
      try {
        fd = openSync(path, 'r');
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
        throw error;
      }
      try {
        buffer = withRoom(buffer, fstatSync(fd).size + 1, 0);
        let length = 0;
        // to the end, however the file grows meanwhile: a short read is not the end, 0 bytes is
        for (;;) {
          buffer = withRoom(buffer, length + 1, length);
          const read = readSync(fd, buffer, length, buffer.length - length, null);
          if (read === 0) break;
          length += read;
        }
        const now = buffer.subarray(0, length);
        return now.equals(expected) ? { kind: 'same' } : { kind: 'different', bytes: Buffer.from(now) };
      } finally {
        closeSync(fd);
      }
    },
  };
}

/** Bytes the loop appends to, kept in one buffer that doubles (no copy of the whole per append or look). */
export type GrowingBytes = { append(bytes: Buffer): void; view(): Buffer };

export function growingBytes(initial: Buffer): GrowingBytes {
  let buffer: Buffer = Buffer.alloc(Math.max(64 * 1024, initial.length * 2));
  let length = 0;
  const append = (bytes: Buffer) => {
    buffer = withRoom(buffer, length + bytes.length, length);
    bytes.copy(buffer, length);
    length += bytes.length;
  };
  append(initial);
  return { append, view: () => buffer.subarray(0, length) };
}
