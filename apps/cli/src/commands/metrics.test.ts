import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import {
  complianceFromEntries,
  entryFromJson,
  entryHash,
  GENESIS_HASH,
  renderComplianceTable,
} from '@vigil/audit';
import { loadAgentSystemSync, spiffeIdOf } from '@vigil/registry';
import { SOC_AUDIT_VOCABULARY } from '@vigil/soc';

// The audit trail of a real demo run (`vigil up --demo`, then `vigil audit export`, with
// the writer identity of each chain from the same store), against the repository's own
// declaration: the figures below were counted by hand from that trail.
const fixture = (name: string) => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));
const entries = readFileSync(fixture('soc-demo-audit.ndjson'), 'utf8')
  .split('\n')
  .filter((line) => line.trim() !== '')
  .map((line) => entryFromJson(JSON.parse(line)));
const chains = new Map(
  Object.entries(JSON.parse(readFileSync(fixture('soc-demo-chains.json'), 'utf8')) as object),
) as Map<string, string>;
const system = loadAgentSystemSync(
  fileURLToPath(new URL('../../../../vigil.yaml', import.meta.url)),
);
const metrics = complianceFromEntries(
  entries,
  {
    agents: system.agents,
    spiffeIdOf: (name) => spiffeIdOf(system, name),
    since: new Date('2026-12-07T00:00:00Z'),
    until: new Date('2026-12-08T00:00:00Z'),
    vocabulary: SOC_AUDIT_VOCABULARY,
  },
  chains,
);

test('the demo trail, recorded in format version 1, still hashes and links chain by chain', () => {
  assert.ok(entries.length > 100 && entries.every((e) => e.v === 1));
  for (const chain of chains.keys()) {
    const own = entries.filter((e) => e.chain === chain).sort((a, b) => a.chainSeq - b.chainSeq);
    assert.ok(own.length > 0, chain);
    let prev = GENESIS_HASH;
    own.forEach((e, i) => {
      assert.equal(e.chainSeq, i + 1, `${chain} position`);
      assert.equal(e.prevHash, prev, `${chain}#${e.chainSeq} links to the one before`);
      assert.equal(entryHash(e), e.hash, `${chain}#${e.chainSeq} hashes to its stored hash`);
      prev = e.hash;
    });
  }
});

test('the demo trail: used share counts what the remediator executed and nothing it did not', () => {
  // Two executions succeeded on the dry-run executor: isolate-pod (create networkpolicies,
  // patch pods) and revoke-sa-token (delete + create serviceaccounts). Granted and used:
  // tool dry-run-executor, networking.k8s.io/networkpolicies:create, core/pods:patch,
  // core/serviceaccounts:delete, core/serviceaccounts:create = 5. Granted: 12 core reads +
  // 12 apps reads + 3 secrets (list, watch, delete) + 6 networkpolicies + 4 scale
  // subresources (deployments/scale, statefulsets/scale: get, patch) + 2 pods writes (patch,
  // delete) + 2 serviceaccounts writes + nodes:patch = 42 RBAC atoms + 4 tools = 46.
  const remediator = metrics.leastAgency.find((l) => l.agents.includes('remediator'));
  assert.equal(remediator?.granted, 46);
  assert.equal(remediator?.used, 5);
  assert.equal(remediator?.usedShare, 5 / 46);
  // No other agent writes execution entries.
  for (const l of metrics.leastAgency)
    if (!l.agents.includes('remediator')) assert.equal(l.used, 0, l.agentClass);
});

test('the demo trail: five-signal coverage sees the A2A interactions of every agent that audits', () => {
  // 13 incidents; every one has entries by the coordinator, the analyst and the notifier,
  // 9 also by the reviewer and 2 by the remediator: each of the five shares a correlation
  // id with another declared agent (trace ids are null: the demo exports no spans). The
  // detector writes no audit entry at all (only the supervisor's lifecycle entries name
  // it), so it is observed in health alone: 5 of 6.
  const byAgent = Object.fromEntries(metrics.fiveSignal.agents.map((a) => [a.agent, a]));
  for (const name of ['coordinator', 'analyst', 'remediator', 'reviewer', 'notifier'])
    assert.equal(byAgent[name]?.all, true, name);
  assert.deepEqual(byAgent['detector']?.signals, {
    identity: false,
    execution: false,
    intent: false,
    communication: false,
    health: true,
  });
  assert.equal(metrics.fiveSignal.covered, 5);
  assert.equal(metrics.fiveSignal.total, 6);
  assert.equal(metrics.fiveSignal.perSignal.communication, 5 / 6);
});

test('the demo trail: one mutate among ten flagged verdicts', () => {
  // 11 verdict entries: 1 allow (revoke-sa-token), 1 mutate (delete-pod → isolate-pod),
  // 1 deny (the detector's own namespace), 8 escalate.
  assert.deepEqual(metrics.mutation, { flagged: 10, mutate: 1, deny: 1, escalate: 8, rate: 0.1 });
});

test('the table keeps every column apart, whatever the length of a class name', () => {
  const table = renderComplianceTable(metrics).split('\n');
  const header = table.find((l) => l.trimStart().startsWith('class'))!;
  const row = table.find((l) => l.includes('Response execution'))!;
  assert.match(row, /Response execution {2,}remediator {2,}46 {2,}31 {2,}67\.4% {2,}5 {2,}10\.9%/);
  // Each row's columns start where the header's do.
  assert.equal(row.indexOf('remediator'), header.indexOf('agents'));
  for (const line of table)
    assert.doesNotMatch(line, /detection(detector)|coordination(coordinator)/, line);
});
