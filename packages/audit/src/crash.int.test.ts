import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { startPostgres } from '@vigil/testkit';
import { openAuditStore } from './open.js';
import type { AuditStore } from './store.js';
import { createTestCa } from './testing/identities.js';
import { verifyAudit } from './verify.js';

const CHILD = join(import.meta.dirname, 'testing', 'crash-child.ts');

/** Runs the child until it has acknowledged `count` steps, then SIGKILLs it; returns the acknowledged step numbers. */
async function crashAfter(
  backend: string,
  where: string,
  signerFile: string,
  count: number,
): Promise<Set<number>> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, backend, where, signerFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const acked = new Set<number>();
  const exited = new Promise<NodeJS.Signals | null>((resolve) =>
    child.once('exit', (_code, signal) => resolve(signal)),
  );
  for await (const line of createInterface({ input: child.stdout })) {
    const m = /^ack (\d+)$/.exec(line);
    if (m !== null) acked.add(Number(m[1]));
    if (acked.size === count) {
      child.kill('SIGKILL');
      break;
    }
  }
  const signal = await exited;
  assert.equal(signal, 'SIGKILL', `the child ended by itself: ${stderr}`);
  return acked;
}

async function assertEveryAckedStepPresent(
  store: AuditStore,
  acked: Set<number>,
  caPem: string,
): Promise<void> {
  const present = new Set<number>();
  for await (const e of store.query({ correlationId: 'crash' })) present.add(e.what['n'] as number);
  const missing = [...acked].filter((n) => !present.has(n));
  assert.deepEqual(missing, [], 'acknowledged steps missing after kill -9');
  const report = await verifyAudit(store, { caPem });
  assert.equal(report.ok, true, report.firstProblem?.message);
  assert.ok(report.entries >= acked.size);
}

for (const backend of ['sqlite', 'postgres'] as const) {
  test(`every step acknowledged before kill -9 is in the ${backend} log and the chain verifies`, async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-crash-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const ca = createTestCa();
    t.after(() => ca.dispose());
    const signerFile = join(dir, 'signer.json');
    writeFileSync(signerFile, JSON.stringify(ca.issue('spiffe://crash.test/agent/remediator')), {
      mode: 0o600,
    });
    let where = dir;
    if (backend === 'postgres') where = (await startPostgres(t)).url;
    const acked = await crashAfter(backend, where, signerFile, 300);
    const store = await openAuditStore(
      backend === 'postgres' ? { backend, url: where } : { backend },
      dir,
    );
    t.after(() => store.close());
    await assertEveryAckedStepPresent(store, acked, ca.caPem);
  });
}
