/**
 * The clause mapping on a period with no activity (the repository's vigil.yaml, an empty
 * SQLite audit store, the real `opa test` of policies/soc): every clause is either covered
 * with evidence or states plainly why it is not — a control that left no trace in the
 * period is never reported as covered.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openAuditStore } from '@vigil/audit';
import { ensureCertificateAuthority } from '@vigil/pki';
import { loadAgentSystem } from '@vigil/registry';
import { DEFAULT_ENTRYPOINT } from '../commands/policy.js';
import { REPO_ROOT } from '../testing/run-vigil.js';
import { CLAUSES, mapClauses } from './clauses.js';
import { collectEvidence } from './evidence.js';

test('every clause is evidenced or explicitly not covered; an empty period evidences no activity clause', async (t) => {
  const stateDir = mkdtempSync(join(tmpdir(), 'vigil-clauses-'));
  t.after(() => rmSync(stateDir, { recursive: true, force: true }));
  const system = await loadAgentSystem(join(REPO_ROOT, 'vigil.yaml'));
  const ca = await ensureCertificateAuthority(stateDir, system.trustDomain);
  const store = await openAuditStore(system.storage.audit, stateDir);
  t.after(() => store.close());
  const pack = await collectEvidence({
    system,
    store,
    stateDir,
    caPem: ca.certPem,
    period: { from: new Date('2026-01-01T00:00:00Z'), to: new Date('2026-01-08T00:00:00Z') },
    entrypoint: DEFAULT_ENTRYPOINT,
  });
  const mapping = mapClauses(pack);

  assert.equal(mapping.length, CLAUSES.length);
  for (const c of mapping) {
    if (c.status === 'covered')
      assert.ok(c.evidence.length > 0, `${c.id} covered without evidence`);
    else {
      assert.equal(c.evidence.length, 0, c.id);
      assert.ok((c.reason ?? '').length > 20, `${c.id} says why it is not covered`);
    }
  }
  const ids = mapping.map((c) => c.id);
  for (const id of ['Art. 12(1)', 'Art. 12(2)(a)', 'Art. 14(1)', 'Art. 14(4)(d)', 'Art. 14(4)(e)'])
    assert.ok(ids.includes(id), id);
  assert.deepEqual(
    ids.filter((id) => id.startsWith('ASI')),
    ['ASI01', 'ASI02', 'ASI03', 'ASI04', 'ASI05', 'ASI06', 'ASI07', 'ASI08', 'ASI09', 'ASI10'],
  );
  assert.deepEqual(
    mapping.filter((c) => c.framework === 'NIST AI RMF 1.0').map((c) => c.id),
    ['GOVERN', 'MAP', 'MEASURE', 'MANAGE'],
  );

  // Nothing happened: the clauses that need activity say so instead of claiming coverage.
  const status = Object.fromEntries(mapping.map((c) => [c.id, c]));
  for (const id of ['Art. 12(1)', 'Art. 14(1)', 'Art. 14(4)(d)', 'ASI02', 'ASI05', 'MANAGE']) {
    assert.equal(status[id]?.status, 'not covered', id);
    assert.match(status[id]?.reason ?? '', /^no evidence in this period: /, id);
  }
  // What holds without activity is evidenced by what was checked for the report itself.
  assert.equal(status['Art. 15(1)']?.status, 'covered');
  assert.match(status['Art. 15(1)']?.evidence[0] ?? '', /tests passed, 0 failed/);
  assert.equal(status['ASI04']?.control, null);
  assert.equal(pack.audit.verification.ok, true);
  assert.equal(pack.metrics.entries, 0);

  // Accuracy levels (Art. 15(3)) are evidenced only by an evaluation the report carries.
  assert.equal(status['Art. 15(3)']?.status, 'not covered');
  assert.match(status['Art. 15(3)']?.reason ?? '', /no evaluation run was given/);
  const evaluated = mapClauses({
    ...pack,
    evaluation: {
      file: '/tmp/eval.json',
      sha256: 'b'.repeat(64),
      scenario: 'soc-demo',
      scenarioSha256: 'c'.repeat(64),
      evaluatedAt: '2026-01-02T00:00:00.000Z',
      analysts: [
        {
          analyst: 'offline',
          model: null,
          attackEvents: 39,
          recall: 0.974,
          precision: 0.493,
          techniques: [],
          verdictCorrectness: 1,
          unsafeActions: 0,
          timeToDecisionP50Ms: 900,
          timeToDecisionP95Ms: 2100,
          thresholds: { passed: 3, failed: [] },
        },
      ],
    },
  });
  const accuracy = evaluated.find((c) => c.id === 'Art. 15(3)');
  assert.equal(accuracy?.status, 'covered');
  assert.match(accuracy?.evidence[0] ?? '', /offline analyst: recall 97\.4 %, precision 49\.3 %/);
  assert.equal(evaluated.find((c) => c.id === 'Art. 15(1)')?.evidence.length, 2);
});
