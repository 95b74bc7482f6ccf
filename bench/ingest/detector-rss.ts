/**
 * The detector's peak resident set for the largest bodies its intake accepts: the real
 * agent (HTTP intake, pipeline, rule tier, findings outbox, dead-letter file) in a process
 * of its own (`startDetectorProcess`, a coordinator that acknowledges every finding), one
 * fresh process per body, `VmHWM` read before and after one request. The agent's limit in
 * vigil.yaml is 192 MiB.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  postNdjson,
  saveModel,
  startDetectorProcess,
  type DetectorModel,
  type DetectorProcess,
} from '@vigil/detector';

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

/** Posts `body` to a fresh detector process scoring with `model`; its peak RSS around it. */
export async function detectorRss(
  model: DetectorModel,
  label: string,
  body: Buffer,
): Promise<BodyRss> {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-bench-rss-'));
  let detector: DetectorProcess | undefined;
  try {
    mkdirSync(join(stateDir, 'detector'));
    await saveModel(model, join(stateDir, 'detector', 'model.json'));
    detector = await startDetectorProcess({ stateDir, token: TOKEN, coordinator: 'acknowledges' });
    const before = await detector.stats();
    const answer = await postNdjson(detector.url, TOKEN, body);
    const after = await detector.stats();
    let lines = 0;
    for (let i = body.indexOf(10); i !== -1; i = body.indexOf(10, i + 1)) lines++;
    return {
      label,
      lines,
      bytes: body.length,
      status: answer.status,
      answer: answer.body as BodyRss['answer'],
      beforeKiB: before.vmHwmKiB,
      peakKiB: after.vmHwmKiB,
    };
  } finally {
    detector?.kill();
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
