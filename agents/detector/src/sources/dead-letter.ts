/**
 * Dead letters: rejected records appended to an NDJSON file, one object per line:
 * `{"time":"…","source":"http","ref":"request 3 line 2","line":2,"code":"MALFORMED_JSON","reason":"…","text":"…"}`
 * (plus `field` and `offset` when the rejection names them). The file can be fixed up and
 * replayed with `vigil replay`.
 *
 * Bounded on disk and in memory: the file is rotated when it reaches `maxFileBytes`
 * (`dead-letter.ndjson` → `.1` → `.2` …, `maxFiles` kept in all, the oldest deleted), and
 * sources wait on `ready()` between chunks of input, so the unflushed buffer stays near
 * `maxBufferedBytes`; a write that would still take it past that bound (one chunk of
 * input yielding more rejections than it holds) is dropped and counted instead of queued.
 * A dead-letter failure never takes ingestion down.
 */
import {
  createWriteStream,
  mkdirSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  type WriteStream,
} from 'node:fs';
import { dirname } from 'node:path';
import type { Rejection } from './event-source.js';

/** Where rejected records go. */
export interface DeadLetterWriter {
  write(rejection: Rejection): void;
  /**
   * Resolves once the unflushed buffer is below half its bound: a source that produces
   * rejections faster than the disk takes them waits here between chunks of input.
   */
  ready(): Promise<void>;
  /** Rejections not written because the buffer was full, since the writer was created. */
  readonly dropped: number;
  close(): Promise<void>;
}

/** Bounds of a dead-letter file. */
export interface DeadLetterLimits {
  /** Size at which the file is rotated. Default 16 MiB. */
  readonly maxFileBytes?: number;
  /** Files kept, the live one included (`path`, `path.1` … `path.<maxFiles-1>`). Default 4. */
  readonly maxFiles?: number;
  /** Unflushed bytes beyond which a write is dropped. Default 4 MiB. */
  readonly maxBufferedBytes?: number;
}

export const DEAD_LETTER_DEFAULTS = {
  maxFileBytes: 16 * 1024 * 1024,
  maxFiles: 4,
  maxBufferedBytes: 4 * 1024 * 1024,
} as const;

/**
 * Appends rejections to `path` (created with its directory, mode 0600: rejected lines
 * can hold sensitive data), rotating and dropping as described above. `close()` flushes.
 */
export function createDeadLetterFile(
  path: string,
  limits: DeadLetterLimits = {},
): DeadLetterWriter {
  const maxFileBytes = limits.maxFileBytes ?? DEAD_LETTER_DEFAULTS.maxFileBytes;
  const maxFiles = Math.max(1, limits.maxFiles ?? DEAD_LETTER_DEFAULTS.maxFiles);
  const maxBuffered = limits.maxBufferedBytes ?? DEAD_LETTER_DEFAULTS.maxBufferedBytes;
  mkdirSync(dirname(path), { recursive: true });
  let size = sizeOf(path);
  let stream = open(path);
  let closed: Promise<void> | undefined;
  let dropped = 0;

  function rotate(): void {
    // The old stream keeps its descriptor across the rename, so what it still has
    // buffered lands in `path.1`.
    const old = stream;
    old.end();
    if (maxFiles === 1) rmSync(path, { force: true });
    else {
      rmSync(`${path}.${maxFiles - 1}`, { force: true });
      for (let k = maxFiles - 2; k >= 1; k--) renameQuietly(`${path}.${k}`, `${path}.${k + 1}`);
      renameQuietly(path, `${path}.1`);
    }
    stream = open(path);
    size = 0;
  }

  return {
    get dropped() {
      return dropped;
    },
    ready(): Promise<void> {
      const s = stream;
      if (closed !== undefined || s.writableLength < maxBuffered / 2 || s.destroyed)
        return Promise.resolve();
      return new Promise<void>((resolve) => {
        const done = (): void => {
          s.off('drain', done);
          s.off('close', done);
          resolve();
        };
        s.on('drain', done);
        s.on('close', done);
      });
    },
    write(r: Rejection): void {
      if (closed !== undefined) return;
      const text = `${JSON.stringify({
        time: new Date().toISOString(),
        source: r.source,
        ref: r.ref,
        line: r.line,
        code: r.code,
        reason: r.reason,
        ...(r.field === undefined ? {} : { field: r.field }),
        ...(r.offset === undefined ? {} : { offset: r.offset }),
        text: r.text,
      })}\n`;
      const bytes = Buffer.byteLength(text);
      if (stream.writableLength + bytes > maxBuffered) {
        dropped += 1;
        return;
      }
      if (size > 0 && size + bytes > maxFileBytes) rotate();
      stream.write(text);
      size += bytes;
    },
    close(): Promise<void> {
      const s = stream;
      closed ??= new Promise<void>((resolve, reject) => {
        s.once('error', reject);
        s.end(() => resolve());
      });
      return closed;
    },
  };
}

function open(path: string): WriteStream {
  // Opened now, not when the stream gets round to it: a rotation renames the file under
  // the descriptor, which must already exist for the buffered tail to follow the rename.
  const fd = openSync(path, 'a', 0o600);
  const stream = createWriteStream(path, { fd });
  stream.on('error', () => {
    // Reported on close(); a dead-letter failure must not take ingestion down.
  });
  return stream;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function renameQuietly(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch {
    // Not there yet (fewer rotations so far than files kept).
  }
}
