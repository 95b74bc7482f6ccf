/**
 * What the labelled demo scenario must lead to in the real SOC, whichever way it runs
 * (`vigil up` in processes or containers, the rendered manifests under podman kube play).
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { normaliseEvent } from '@vigil/detector';
import { REPO_ROOT } from '../testing/run-vigil.js';

export const SCENARIO = join(REPO_ROOT, 'examples/soc-demo/scenario.ndjson');
const LABELS = join(REPO_ROOT, 'examples/soc-demo/scenario.labels.ndjson');

/**
 * The verdict each attack must get, and why (vigil.yaml's policy and the rule-based
 * analyser): `none` means no action could be proposed and the incident is only notified.
 */
export const EXPECTED: Record<string, { action: string; decision: string } | 'none'> = {
  // The storefront carries tier=customer-facing: always a human.
  cryptominer: { action: 'isolate-pod', decision: 'escalate' },
  // payments is production: delete-pod becomes isolate-pod, which is autonomous.
  'ledger-drift': { action: 'delete-pod', decision: 'mutate' },
  // A corroborated critical finding on an autonomous, in-scope action.
  'rbac-escalation': { action: 'revoke-sa-token', decision: 'allow' },
  // Vigil never acts on its own namespace.
  'soc-tamper': { action: 'isolate-pod', decision: 'deny' },
  // kube-system is on the always-escalate list.
  'privileged-pod': { action: 'isolate-pod', decision: 'escalate' },
  // Rule confidence 0.65 (token read) and 0.5 (unusual egress) stay below 0.55.
  'sa-token-theft': { action: 'revoke-sa-token', decision: 'escalate' },
  'exfil-new-destination': { action: 'block-ip', decision: 'escalate' },
  // From the internet to the API server: no workload to scope a block to.
  'anonymous-access': 'none',
};

/** Event ids of each labelled attack, as the detector normalises them. */
export function attackEventIds(): Map<string, Set<string>> {
  const lines = readFileSync(SCENARIO, 'utf8').trimEnd().split('\n');
  const labels = readFileSync(LABELS, 'utf8')
    .trimEnd()
    .split('\n')
    .map((l) => JSON.parse(l) as { line: number; attack: string | null });
  const byAttack = new Map<string, Set<string>>();
  for (const label of labels) {
    if (label.attack === null) continue;
    const result = normaliseEvent(JSON.parse(lines[label.line - 1] as string));
    assert.ok(result.ok, `line ${label.line} normalises`);
    const ids = byAttack.get(label.attack) ?? new Set<string>();
    ids.add(result.event.id);
    byAttack.set(label.attack, ids);
  }
  return byAttack;
}
