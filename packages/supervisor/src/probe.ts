import { request } from 'node:http';

/** Result of one HTTP probe. */
export type ProbeResult =
  | { readonly ok: true; readonly status: number; readonly body: unknown }
  | { readonly ok: false; readonly status?: number; readonly error: string };

/**
 * GETs `url` (plain HTTP, loopback health endpoints) with a hard deadline. `ok` is true
 * for a 2xx answer. Never throws. A fresh connection per probe (`agent: false`), so a
 * hung agent cannot hold a pooled socket and a busy-looping agent — which accepts TCP in
 * the kernel but never answers — fails at the deadline. A deadline missed because the
 * caller's own event loop stalled is extended once (see below).
 */
export function probe(url: string, timeoutMs: number): Promise<ProbeResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: ProbeResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = request(
      url,
      { method: 'GET', agent: false, headers: { accept: 'application/json' } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const status = res.statusCode ?? 0;
          let body: unknown;
          try {
            body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch {
            body = undefined;
          }
          done(
            status >= 200 && status < 300
              ? { ok: true, status, body }
              : { ok: false, status, error: `HTTP ${status}` },
          );
        });
        res.on('error', (e) => done({ ok: false, error: e.message }));
      },
    );
    const started = performance.now();
    let extended = false;
    const onDeadline = (): void => {
      // A deadline timer that fires late means our own event loop was stalled (a starved
      // machine): the answer may be waiting unread. The agent gets one more deadline of our
      // attention rather than a failure it did not cause.
      const late = performance.now() - started - timeoutMs;
      if (!extended && late > timeoutMs / 2) {
        extended = true;
        timer = setTimeout(onDeadline, timeoutMs);
        return;
      }
      done({ ok: false, error: `no answer within ${timeoutMs} ms` });
      req.destroy();
    };
    let timer = setTimeout(onDeadline, timeoutMs);
    req.on('error', (e) => done({ ok: false, error: e.message }));
    req.end();
  });
}
