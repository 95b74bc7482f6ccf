import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteAuditStore, createAuditWriter, openAuditStore, sqliteAuditPath } from '@vigil/audit';
import { ensureIdentities, loadAgentCredentials } from '@vigil/pki';
import { loadAgentSystem, spiffeIdOf } from '@vigil/registry';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const VIGIL = join(ROOT, 'apps', 'cli', 'bin', 'vigil.mjs');

function vigil(
  dir: string,
  ...args: string[]
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(
    process.execPath,
    [VIGIL, '-f', join(dir, 'vigil.yaml'), '--state-dir', join(dir, 'state'), ...args],
    { encoding: 'utf8' },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('vigil audit verify | export | prune, trace and metrics work on a real state dir', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-cli-audit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  // The two-agent declaration with the SOC's audit vocabulary: the trace and the OCSF
  // export below read the describers it names.
  writeFileSync(
    join(dir, 'vigil.yaml'),
    `${readFileSync(join(ROOT, 'examples', 'two-agent', 'vigil.yaml'), 'utf8')}\nvocabulary: '@vigil/soc/vocabulary'\n`,
  );
  const system = await loadAgentSystem(join(dir, 'vigil.yaml'));
  const stateDir = join(dir, 'state');
  await ensureIdentities(stateDir, system);
  const store = await openAuditStore(system.storage.audit, stateDir);
  const TRACE = '0af7651916cd43dd8448eb211c80319c';
  let parent: string | undefined;
  for (const name of ['greeter', 'echo']) {
    const creds = await loadAgentCredentials(stateDir, name);
    const w = createAuditWriter({
      store,
      signer: { id: creds.spiffeId, privateKeyPem: creds.key, certPem: creds.cert },
      checkpoint: { everyEntries: 2 },
    });
    for (let i = 0; i < 3; i++) {
      const e = await w.append({
        kind: name === 'greeter' ? 'proposal' : 'execution',
        actor: spiffeIdOf(system, name),
        correlationId: 'inc-1',
        traceId: TRACE,
        what:
          name === 'greeter'
            ? {
                action: { type: 'isolate-pod', target: { name: `web-${i}` } },
                parentEntryId: parent,
              }
            : { action: { type: 'isolate-pod' }, status: 'succeeded', parentEntryId: parent },
        why: { rationale: `step ${i}` },
      });
      parent = e.hash;
    }
    await w.close();
  }
  await store.close();

  const ok = vigil(dir, '--json', 'audit', 'verify');
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal((JSON.parse(ok.stdout) as { ok: boolean; entries: number }).entries, 6);
  const threaded = vigil(dir, '--json', 'audit', 'verify', '--workers', '2');
  assert.equal(threaded.code, 0, threaded.stderr);
  assert.equal((JSON.parse(threaded.stdout) as { entries: number }).entries, 6);
  const badWorkers = vigil(dir, 'audit', 'verify', '--workers', 'many');
  assert.equal(badWorkers.code, 2);
  assert.match(badWorkers.stderr, /--workers: "many" is neither auto nor a whole number/);

  const tree = vigil(dir, 'trace', 'inc-1');
  assert.equal(tree.code, 0, tree.stderr);
  assert.match(tree.stdout, /^incident inc-1 · trace 0af76519/);
  assert.equal(tree.stdout.trim().split('\n').length, 7);

  const ocsf = vigil(dir, 'audit', 'export', '--format', 'ocsf');
  assert.equal(ocsf.code, 0, ocsf.stderr);
  const events = ocsf.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { class_uid?: number; activity_id?: number; kind?: string });
  assert.equal(events.length, 6);
  assert.equal(events.filter((e) => e.class_uid === 7001 && e.activity_id === 1).length, 3);
  assert.equal(events.filter((e) => e.kind === 'proposal').length, 3);
  // Without a vocabulary the harness knows executions only as plain entries.
  writeFileSync(
    join(dir, 'vigil.yaml'),
    readFileSync(join(dir, 'vigil.yaml'), 'utf8').replace(/^vocabulary: .*$/m, ''),
  );
  const plain = vigil(dir, 'audit', 'export', '--format', 'ocsf');
  assert.equal(plain.code, 0, plain.stderr);
  assert.ok(!plain.stdout.includes('"class_uid":7001'));
  assert.match(vigil(dir, 'trace', 'inc-1').stdout, /^correlation inc-1 · trace 0af76519/);

  const metrics = vigil(dir, '--json', 'metrics', '--window', '1h');
  assert.equal(metrics.code, 0, metrics.stderr);
  assert.equal((JSON.parse(metrics.stdout) as { entries: number }).entries, 6);

  const pruned = vigil(
    dir,
    '--json',
    'audit',
    'prune',
    '--before-sequence',
    '4',
    '--user',
    'alice',
  );
  assert.equal(pruned.code, 0, pruned.stderr);
  assert.equal((JSON.parse(pruned.stdout) as { deleted: number }).deleted, 3); // greeter 1..3, cut at its final checkpoint
  assert.equal(vigil(dir, 'audit', 'verify').code, 0);

  // Tamper with the file directly: verify exits 1 and names the entry.
  const raw = new SqliteAuditStore(sqliteAuditPath(stateDir));
  raw.database
    .prepare('UPDATE entries SET why = ? WHERE sequence = 5')
    .run('{"rationale":"nothing happened"}');
  await raw.close();
  const bad = vigil(dir, 'audit', 'verify');
  assert.equal(bad.code, 1);
  assert.match(bad.stdout, /first bad entry: ALTERED at sequence 5/);
  assert.match(bad.stderr, /VIGIL_AUDIT_VERIFY_FAILED/);
  assert.equal(vigil(dir, 'audit', 'export', '--format', 'xml').code, 2);
  assert.ok(readFileSync(join(dir, 'vigil.yaml'), 'utf8').length > 0);
});
