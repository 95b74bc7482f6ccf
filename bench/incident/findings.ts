/**
 * The bench's findings: real Falco records, normalised by the detector's own code and
 * turned into findings by its `findingOf`, each about its own pod in a bench namespace
 * that the generated inventory (declaration.ts) holds. Each pod is also its own actor
 * (`user.name`), so no two workloads share a correlation key unless a case wants them to.
 */
import { findingOf, normaliseEvent } from '@vigil/detector';
import type { Finding } from '@vigil/soc';

/** The namespace of every bench pod: not customer-facing, not always-escalate. */
export const BENCH_NAMESPACE = 'bench';

/** The detector score every bench finding carries (a clear anomaly, above the threshold). */
const SCORE = 0.9;
const THRESHOLD = 0.6;

/** The pod of workload `index` (one pod per Deployment, so blast radius 1). */
export function benchPodName(index: number): string {
  return `app-${index}-0`;
}

type FalcoKind = 'shell' | 'miner';

const FALCO_RULES: Record<FalcoKind, { rule: string; proc: string; cmdline: string }> = {
  shell: { rule: 'Terminal shell in container', proc: 'sh', cmdline: 'sh' },
  miner: {
    rule: 'Detect crypto miners using the Stratum protocol',
    proc: 'xmrig',
    cmdline: 'xmrig -o stratum+tcp://pool.example:3333',
  },
};

/** A Falco alert about workload `index` (shape of `agents/detector/src/events/fixtures/falco-terminal-shell.json`). */
function falcoRecord(index: number, kind: FalcoKind, sequence: number): Record<string, unknown> {
  const { rule, proc, cmdline } = FALCO_RULES[kind];
  const pod = benchPodName(index);
  const at = new Date();
  return {
    hostname: 'node-a',
    output: `${rule} (process=${proc} k8s_pod_name=${pod} k8s_ns_name=${BENCH_NAMESPACE})`,
    output_fields: {
      'container.id': `c${index.toString(16).padStart(11, '0')}`,
      'container.name': `app-${index}`,
      'evt.time': at.getTime() * 1_000_000 + sequence,
      'evt.type': 'execve',
      'k8s.ns.name': BENCH_NAMESPACE,
      'k8s.pod.name': pod,
      'proc.cmdline': cmdline,
      'proc.name': proc,
      'proc.pname': 'runc',
      'user.name': `app-${index}-user`,
      'user.uid': 1000,
    },
    priority: 'Warning',
    rule,
    source: 'syscall',
    tags: ['container', 'mitre_execution', kind],
    time: at.toISOString(),
  };
}

/** A finding as the detector would forward it for a Falco alert of `kind` in pod `index`. */
export function benchFinding(index: number, kind: FalcoKind = 'shell', sequence = 0): Finding {
  const normalised = normaliseEvent(falcoRecord(index, kind, sequence));
  if (!normalised.ok) throw new Error(`bench Falco record rejected: ${normalised.reason}`);
  return findingOf(normalised.event, SCORE, THRESHOLD, 'bench', [], Date.now());
}
