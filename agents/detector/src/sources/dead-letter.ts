/**
 * Dead letters: rejected records appended to an NDJSON file, one object per line:
 * `{"time":"…","source":"http","ref":"request 3 line 2","line":2,"code":"MALFORMED_JSON","reason":"…","text":"…"}`.
 * The file can be fixed up and replayed with `vigil replay`.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { Rejection } from './event-source.js';

/** Where rejected records go. */
export interface DeadLetterWriter {
  write(rejection: Rejection): void;
  close(): Promise<void>;
}

/**
 * Appends rejections to `path` (created with its directory, mode 0600: rejected lines
 * can hold sensitive data). Writes are buffered by the stream; `close()` flushes.
 */
export function createDeadLetterFile(path: string): DeadLetterWriter {
  mkdirSync(dirname(path), { recursive: true });
  const stream: WriteStream = createWriteStream(path, { flags: 'a', mode: 0o600 });
  let closed: Promise<void> | undefined;
  stream.on('error', () => {
    // Reported on close(); a dead-letter failure must not take ingestion down.
  });
  return {
    write(r: Rejection): void {
      if (closed !== undefined) return;
      stream.write(
        `${JSON.stringify({ time: new Date().toISOString(), source: r.source, ref: r.ref, line: r.line, code: r.code, reason: r.reason, text: r.text })}\n`,
      );
    },
    close(): Promise<void> {
      closed ??= new Promise<void>((resolve, reject) => {
        stream.once('error', reject);
        stream.end(() => resolve());
      });
      return closed;
    },
  };
}
