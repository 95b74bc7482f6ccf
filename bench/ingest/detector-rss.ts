/**
 * The detector's peak resident set for the largest bodies its intake accepts: the real
 * agent (HTTP intake, pipeline, rule tier, findings outbox, dead-letter file) in a process
 * of its own (`DETECTOR_PROCESS_MODULE`, a coordinator that acknowledges every finding),
 * one fresh process per body, `VmHWM` read from its `/proc/self/status` before and after
 * one request. The agent's limit in vigil.yaml is 192 MiB.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { request } from 'node:http';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DETECTOR_PROCESS_MODULE, saveModel, type DetectorModel } from '@vigil/detector';

const TOKEN = 'bench-rss-token-0123456789abcdef';

export interface BodyRss {
  readonly label: string;
  readonly lines: number;
  readonly bytes: number;
  readonly status: number;
  readonly answer: { records: number; accepted: number; duplicates: number; rejected: number };
  readonly beforeKiB: number;
  readonly peakKiB: number;
}

/** Lines taken in order while their NDJSON body stays within `maxBytes`. */
export function bodyWithin(lines: readonly string[], maxBytes: number): Buffer {
  let size = 0;
  let n = 0;
  while (n < lines.length && size + Buffer.byteLength(lines[n] as string) + 1 <= maxBytes)
    size += Buffer.byteLength(lines[n++] as string) + 1;
  return Buffer.from(`${lines.slice(0, n).join('\n')}\n`);
}

function next<T>(child: ChildProcess): Promise<T> {
  return new Promise((resolve, reject) => {
    child.once('message', (m) => resolve(m as T));
    child.once('exit', (code, signal) => reject(new Error(`detector exited ${code ?? signal}`)));
  });
}

function post(url: string, body: Buffer): Promise<{ status: number; answer: BodyRss['answer'] }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        headers: {
          authorization: `Bearer ${TOKEN}`,
          'content-type': 'application/x-ndjson',
          'content-length': body.length,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            answer: JSON.parse(Buffer.concat(chunks).toString('utf8')) as BodyRss['answer'],
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Posts `body` to a fresh detector process scoring with `model`; its peak RSS around it. */
export async function detectorRss(
  model: DetectorModel,
  label: string,
  body: Buffer,
): Promise<BodyRss> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-bench-rss-'));
  let child: ChildProcess | undefined;
  try {
    mkdirSync(join(stateDir, 'detector'));
    await saveModel(model, join(stateDir, 'detector', 'model.json'));
    child = fork(DETECTOR_PROCESS_MODULE, [stateDir, 'acknowledges'], {
      env: { ...process.env, VIGIL_CHILD_INGEST_TOKEN: TOKEN },
    });
    const { url } = await next<{ url: string }>(child);
    child.send('stats');
    const before = await next<{ vmHwmKiB: number }>(child);
    const { status, answer } = await post(url, body);
    child.send('stats');
    const after = await next<{ vmHwmKiB: number }>(child);
    let lines = 0;
    for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) lines++;
    return {
      label,
      lines,
      bytes: body.length,
      status,
      answer,
      beforeKiB: before.vmHwmKiB,
      peakKiB: after.vmHwmKiB,
    };
  } finally {
    child?.kill('SIGKILL');
    rmSync(stateDir, { recursive: true, force: true });
  }
}

export function printRss(r: BodyRss): void {
  const mib = (k: number): string => (k / 1024).toFixed(0);
  console.log(
    `  ${r.label}: ${r.lines.toLocaleString('en')} lines, ${(r.bytes / 1048576).toFixed(1)} MiB → HTTP ${r.status} ` +
      `(records ${r.answer.records}, accepted ${r.answer.accepted}, duplicates ${r.answer.duplicates}, rejected ${r.answer.rejected}); ` +
      `detector peak RSS ${mib(r.peakKiB)} MiB (${mib(r.beforeKiB)} MiB before the request; limit 192 MiB)`,
  );
}
