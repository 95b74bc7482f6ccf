/**
 * The clause-by-clause mapping of the report: for each clause of EU AI Act Art. 12–15,
 * each NIST AI RMF 1.0 function and each OWASP Top 10 for Agentic Applications (2026)
 * risk, the Vigil control that addresses it and the evidence of the period — or "not
 * covered", with the reason. Clause titles are short paraphrases of the source (Regulation
 * (EU) 2024/1689; NIST AI 100-1; OWASP GenAI Security Project), not its text.
 *
 * A clause is `covered` only when the period holds evidence for it; a control that left
 * no trace in the period is reported as not covered in that period, saying what is missing.
 */
import type { EvaluationEvidence } from './evaluation.js';
import type { EvidencePack } from './evidence.js';

export type Framework = 'EU AI Act' | 'NIST AI RMF 1.0' | 'OWASP ASI 2026';

/** One row of the mapping. */
export interface ClauseMapping {
  readonly framework: Framework;
  readonly id: string;
  readonly title: string;
  /** The Vigil control; null when Vigil has none for this clause. */
  readonly control: string | null;
  readonly status: 'covered' | 'not covered';
  /** Facts of this period that show the control at work (non-empty when covered). */
  readonly evidence: readonly string[];
  /** Why it is not covered (present when not covered). */
  readonly reason?: string;
}

/** Evidence found, or what is missing for it. */
type Finding = { readonly items: readonly string[] } | { readonly missing: string };

interface ClauseDefinition {
  readonly framework: Framework;
  readonly id: string;
  readonly title: string;
  readonly control: string | null;
  /** For a clause without a control: why. */
  readonly notCovered?: string;
  readonly evidence?: (pack: EvidencePack) => Finding;
}

const pct = (x: number | null): string => (x === null ? 'n/a' : `${(x * 100).toFixed(1)} %`);
const n = (pack: EvidencePack, kind: string): number => pack.entriesByKind[kind] ?? 0;
const sum = (r: Readonly<Record<string, number>>): number =>
  Object.values(r).reduce((s, x) => s + x, 0);

/** Items when `condition` holds, else what is missing. */
function when(condition: boolean, items: readonly string[], missing: string): Finding {
  return condition ? { items } : { missing };
}

function verification(pack: EvidencePack): string {
  const v = pack.audit.verification;
  return `audit verification ${v.ok ? 'OK' : `FAILED (${v.firstProblem?.code ?? '?'})`}: ${v.entries} entries in ${v.chains.length} chains, ${v.checkpoints} signed checkpoints, ${v.anchors} anchors`;
}

function evaluationItems(evaluation: EvaluationEvidence): string[] {
  return evaluation.analysts.map(
    (a) =>
      `vigil eval ${evaluation.evaluatedAt} on ${evaluation.scenario} (sha256 ${evaluation.scenarioSha256.slice(0, 12)}), ${a.analyst} analyst: recall ${pct(a.recall)}, precision ${pct(a.precision)}, verdicts correct ${pct(a.verdictCorrectness)}, ${a.unsafeActions} unsafe actions, ${a.thresholds.failed.length === 0 ? `${a.thresholds.passed} thresholds met` : `thresholds failed: ${a.thresholds.failed.join(', ')}`}`,
  );
}

function decided(pack: EvidencePack): number {
  return pack.escalations.filter((e) => e.status === 'approved' || e.status === 'rejected').length;
}

function verdictsWithReasons(pack: EvidencePack): Finding {
  const verdicts = n(pack, 'verdict');
  return when(
    verdicts > 0,
    [
      `${verdicts} verdicts, each recording its reasons, rule ids and bundle revision (${pack.policy.revisions.length} revision(s) in force)`,
      `${pack.incidents.length} incidents whose decision chains are rebuilt from the trail (appendix)`,
    ],
    'no verdict was recorded in this period',
  );
}

const BIOMETRIC =
  'applies only to remote biometric identification systems (Annex III point 1(a)); Vigil is not one and records none of these fields';

/** The mapping, in report order. */
export const CLAUSES: readonly ClauseDefinition[] = [
  {
    framework: 'EU AI Act',
    id: 'Art. 12(1)',
    title: 'Automatic recording of events (logs) over the lifetime of the system',
    control:
      'Tamper-evident audit trail: every agent step is an entry hash-chained per writer, with signed checkpoints and anchors (packages/audit)',
    evidence: (p) =>
      when(
        p.metrics.entries > 0,
        [
          `${p.metrics.entries} entries recorded in the period: ${Object.entries(p.entriesByKind)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`,
          verification(p),
        ],
        'no audit entry was recorded in this period',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 12(2)(a)',
    title:
      'Logs enable identifying situations that may present a risk or a substantial modification',
    control:
      'finding, flagged verdict (deny / mutate / escalate), policy-load and config-change entries',
    evidence: (p) =>
      when(
        n(p, 'finding') + p.metrics.mutation.flagged + n(p, 'policy-load') > 0,
        [
          `${n(p, 'finding')} findings, ${p.metrics.mutation.flagged} flagged verdicts (${p.metrics.mutation.deny} deny, ${p.metrics.mutation.mutate} mutate, ${p.metrics.mutation.escalate} escalate)`,
          `${n(p, 'policy-load')} policy loads and ${n(p, 'config-change')} configuration changes recorded; ${p.policy.revisions.length} policy revision(s) in force`,
        ],
        'no finding, flagged verdict or policy load was recorded in this period',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 12(2)(b)',
    title: 'Logs facilitate post-market monitoring (Art. 72)',
    control:
      'Compliance metrics computed from the trail (vigil metrics, Prometheus, this report’s trends)',
    evidence: (p) =>
      when(
        p.trend.some((t) => t.entries > 0),
        [
          `trends over ${p.trend.length} intervals, ${p.trend.filter((t) => t.entries > 0).length} with activity`,
          `five-signal coverage ${pct(p.metrics.fiveSignal.coverage)}, step mutation intervention rate ${pct(p.metrics.mutation.rate)}`,
        ],
        'no activity to monitor in this period',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 12(2)(c)',
    title: 'Logs enable monitoring of the operation by the deployer (Art. 26(5))',
    control:
      'agent-lifecycle entries by the supervisor (start, ready, exit, restart, memory) and the five-signal coverage metric',
    evidence: (p) =>
      when(
        sum(p.lifecycle) > 0,
        [
          `${sum(p.lifecycle)} lifecycle entries: ${Object.entries(p.lifecycle)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`,
          `health signal observed for ${pct(p.metrics.fiveSignal.perSignal.health)} of agents`,
        ],
        'no agent-lifecycle entry in this period (the system was not started or stopped in it)',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 12(3)',
    title: 'Minimum logging for remote biometric identification systems',
    control: null,
    notCovered: BIOMETRIC,
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 13(1)',
    title: 'Operation transparent enough for deployers to interpret the output',
    control:
      'Verdicts carry reasons, rule ids and the bundle revision; analyses state whether they are rule-based or from a model; vigil trace rebuilds each decision chain',
    evidence: verdictsWithReasons,
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 13(2)–(3)',
    title: 'Instructions for use with the information listed in paragraph 3',
    control: null,
    notCovered:
      'Vigil ships operator documentation (README, docs/) but no instructions for use in the sense of Art. 13(3); the provider of the high-risk system writes them',
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(1)',
    title: 'Designed so that natural persons can effectively oversee it while in use',
    control:
      'Human approval queue (console and vigil approvals): an escalated action runs only after a person signs an approval with their own identity',
    evidence: (p) =>
      when(
        p.escalations.length > 0,
        [
          `${p.escalations.length} escalations to a human: ${decided(p)} decided by a person, ${p.escalations.filter((e) => e.status === 'expired').length} expired (rejected, fail safe), ${p.escalations.filter((e) => e.status === 'pending').length} pending at the end of the period`,
          `deciders: ${[...new Set(p.escalations.flatMap((e) => (e.decidedBy === null ? [] : [e.decidedBy])))].join(', ') || 'none yet'}`,
        ],
        'no action was escalated to a human in this period',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(2)',
    title: 'Oversight aims to prevent or minimise risks to health, safety, fundamental rights',
    control:
      'Escalation is a policy verdict: low reviewer confidence, always-escalate assets and blast radius over the limit send an action to a human',
    evidence: (p) => {
      const rules = new Map<string, number>();
      for (const e of p.escalations) for (const r of e.rules) rules.set(r, (rules.get(r) ?? 0) + 1);
      return when(
        rules.size > 0,
        [
          `escalating rules that fired: ${[...rules].map(([r, c]) => `${r} × ${c}`).join(', ')}`,
          `thresholds in force: confidence below ${p.registry.policy.escalation.confidenceThreshold}, blast radius above ${JSON.stringify(p.registry.policy.escalation.maxBlastRadius)}`,
        ],
        'no escalation rule fired in this period',
      );
    },
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(3)',
    title: 'Oversight measures built in by the provider or implemented by the deployer',
    control:
      'The policy bundle (OPA/Rego, tested) and the registry’s autonomy declaration: only listed action types may run without a human',
    evidence: (p) =>
      when(
        p.policy.revisions.length > 0,
        [
          `policy revision(s) in force: ${p.policy.revisions.map((r) => r.revision.slice(0, 19)).join(', ')}`,
          `bundle tests (opa test): ${p.policy.bundle.tests === null ? `not run — ${p.policy.bundle.testError ?? ''}` : `${p.policy.bundle.tests.passed} passed, ${p.policy.bundle.tests.failed} failed, ${p.policy.bundle.tests.coveragePercent.toFixed(1)} % line coverage`}`,
          `autonomy: ${p.registry.agents.map((a) => `${a.name} [${a.autonomy.autoExecute.join(', ') || 'none'}]`).join('; ')}`,
        ],
        'no policy revision was loaded or decided in this period',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(4)(a)',
    title: 'Overseers can understand capacities and limits, monitor, detect anomalies',
    control:
      'Five-signal coverage and lifecycle entries show what each agent did and how it ran; the detector’s findings flag anomalies',
    evidence: (p) =>
      when(
        p.metrics.fiveSignal.total > 0 && p.metrics.entries > 0,
        [
          `five-signal coverage ${p.metrics.fiveSignal.covered}/${p.metrics.fiveSignal.total} agents`,
          `${n(p, 'finding')} findings raised; ${p.lifecycle['exited'] ?? 0} unexpected exits, ${p.lifecycle['restart-scheduled'] ?? 0} restarts scheduled`,
        ],
        'no agent activity in this period',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(4)(b)',
    title: 'Overseers remain aware of automation bias',
    control:
      'Partly: every analysis states its source (rule-based or model); model output is advice that cannot lower a severity or move an action across the autonomy gate',
    evidence: (p) =>
      when(
        n(p, 'analysis') > 0,
        [
          `analyses by source: ${Object.entries(p.analysesBySource)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`,
        ],
        'no analysis was recorded in this period',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(4)(c)',
    title: 'Overseers can correctly interpret the output',
    control: 'Verdict reasons and rule ids; decision chains (vigil trace)',
    evidence: verdictsWithReasons,
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(4)(d)',
    title: 'Overseers can decide not to use, disregard, override or reverse the output',
    control:
      'Reject an escalation, edit its parameters before approving, or undo an executed action (vigil actions undo)',
    evidence: (p) => {
      const rejected = p.escalations.filter((e) => e.status === 'rejected').length;
      const edited = p.escalations.filter((e) => e.edited).length;
      const approved = p.escalations.filter((e) => e.status === 'approved').length;
      return when(
        decided(p) > 0,
        [
          `${approved} approved (${edited} with edited parameters), ${rejected} rejected by a person`,
        ],
        'no person decided an escalation in this period',
      );
    },
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(4)(e)',
    title: 'Overseers can intervene or interrupt the system (a stop button or similar)',
    control:
      'Stopping vigil up stops every agent (recorded as stopping/stopped); nothing executes without a signed verdict or approval',
    evidence: (p) =>
      when(
        (p.lifecycle['stopping'] ?? 0) + (p.lifecycle['stopped'] ?? 0) > 0,
        [
          `${p.lifecycle['stopping'] ?? 0} stopping and ${p.lifecycle['stopped'] ?? 0} stopped replicas recorded`,
        ],
        'no interruption of the system was recorded in this period',
      ),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 14(5)',
    title: 'Separate verification by two natural persons for remote biometric identification',
    control: null,
    notCovered: BIOMETRIC,
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 15(1)',
    title: 'Appropriate accuracy, robustness and cybersecurity, consistently over the lifecycle',
    control:
      'Policy unit tests (opa test) on every bundle; vigil eval scores labelled scenarios (docs/eval.md)',
    evidence: (p) =>
      p.policy.bundle.tests === null
        ? { missing: `the bundle's tests could not run: ${p.policy.bundle.testError ?? ''}` }
        : {
            items: [
              `bundle ${p.policy.bundle.revision.slice(0, 19)}: ${p.policy.bundle.tests.passed} tests passed, ${p.policy.bundle.tests.failed} failed (run for this report)`,
              ...(p.evaluation === null ? [] : evaluationItems(p.evaluation)),
            ],
          },
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 15(3)',
    title: 'Accuracy levels and metrics declared in the instructions for use',
    control:
      'vigil eval on a labelled scenario: detection recall and precision per technique, verdict correctness, unsafe actions (docs/eval.md), carried by the report with --eval',
    evidence: (p) =>
      p.evaluation === null
        ? {
            missing:
              'no evaluation run was given to this report (vigil --json eval <labelled.ndjson> > eval.json, then --eval eval.json)',
          }
        : { items: evaluationItems(p.evaluation) },
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 15(4)',
    title: 'Resilience to errors and faults; redundancy and fail-safe plans',
    control:
      'Fail-closed policy evaluation, escalations that expire to a rejection, supervisor restarts with back-off, idempotent executions',
    evidence: (p) => ({
      items: [
        `a failing policy evaluation ${p.registry.policy.failClosed === 'deny' ? 'denies' : 'escalates'} the action (policy.failClosed: ${p.registry.policy.failClosed}); ${p.escalations.filter((e) => e.status === 'expired').length} escalations expired and were rejected`,
        `${p.lifecycle['restart-scheduled'] ?? 0} restarts scheduled, ${p.lifecycle['failed'] ?? 0} replicas failed`,
      ],
    }),
  },
  {
    framework: 'EU AI Act',
    id: 'Art. 15(5)',
    title: 'Resilience against unauthorised third parties, including AI-specific attacks',
    control:
      'Partly: per-agent X.509 identities and mutual TLS, signed verdicts and approvals, event content passed to a model only as delimited data, tamper-evident audit; no control against poisoning of the detector’s training history',
    evidence: (p) =>
      when(
        p.metrics.entries > 0,
        [
          verification(p),
          `${p.certificates.filter((c) => c.fingerprintSha256 !== null).length}/${p.certificates.length} agents hold a certificate of the local CA`,
        ],
        'no activity in this period',
      ),
  },
  {
    framework: 'NIST AI RMF 1.0',
    id: 'GOVERN',
    title: 'Policies, processes and accountability for AI risk are in place',
    control:
      'Policy as code with revisions and tests; one registry declaring every agent’s permissions and autonomy; decisions attributed to signed identities',
    evidence: (p) =>
      when(
        p.policy.revisions.length > 0,
        [
          `${p.policy.revisions.length} policy revision(s) in force; ${p.registry.agents.length} agents declared`,
          `${decided(p)} human decisions, each signed by the person’s identity`,
        ],
        'no policy revision was in force in this period',
      ),
  },
  {
    framework: 'NIST AI RMF 1.0',
    id: 'MAP',
    title: 'Context is established and risks are identified',
    control:
      'Partly: the registry maps roles, permissions and the call graph; always-escalate assets and blast-radius limits name what is at risk. Intended use and impact assessment are outside Vigil',
    evidence: (p) =>
      when(
        p.registry.agents.length > 0,
        [
          `${p.registry.agents.length} agents, ${p.registry.callGraph.length} allowed calls, always-escalate: ${JSON.stringify(p.registry.policy.escalation.alwaysEscalate)}`,
        ],
        'no agent is declared',
      ),
  },
  {
    framework: 'NIST AI RMF 1.0',
    id: 'MEASURE',
    title: 'Risks are analysed, assessed and tracked',
    control: 'Compliance metrics with trends, audit verification, policy tests',
    evidence: (p) =>
      when(
        p.metrics.entries > 0,
        [
          `least agency ${p.metrics.leastAgency.map((l) => `${l.agentClass} ${pct(l.ratio)}`).join(', ')}`,
          `five-signal coverage ${pct(p.metrics.fiveSignal.coverage)}, mutation rate ${pct(p.metrics.mutation.rate)}`,
          verification(p),
        ],
        'no activity to measure in this period',
      ),
  },
  {
    framework: 'NIST AI RMF 1.0',
    id: 'MANAGE',
    title: 'Risks are prioritised and acted upon',
    control: 'Reviewed responses: deny, mutate, escalate to a human, execute with a signed verdict',
    evidence: (p) =>
      when(
        p.incidents.length > 0,
        [
          `${p.incidents.length} incidents; ${p.interventions.filter((i) => i.decision === 'deny').length} denials, ${p.interventions.filter((i) => i.decision === 'mutate').length} mutations, ${p.escalations.length} escalations, ${sum(p.executionsByType)} executions`,
        ],
        'no incident in this period',
      ),
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI01',
    title: 'Agent Goal Hijack',
    control:
      'Event content reaches a model only as delimited, escaped data; the model names catalogue actions only, cannot lower a severity, and no model takes part in a verdict',
    evidence: (p) =>
      when(
        n(p, 'verdict') > 0,
        [
          `${n(p, 'verdict')} verdicts decided by policy; analyses by source: ${
            Object.entries(p.analysesBySource)
              .map(([k, v]) => `${v} ${k}`)
              .join(', ') || 'none'
          }`,
        ],
        'no verdict in this period',
      ),
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI02',
    title: 'Tool Misuse and Exploitation',
    control:
      'Typed action catalogue with blast radius; every proposed action reviewed by OPA, rewritten to a safer one (mutate) or blocked',
    evidence: (p) =>
      when(
        n(p, 'proposal') > 0 || n(p, 'verdict') > 0,
        [
          `${n(p, 'proposal')} proposals, ${n(p, 'verdict')} verdicts; ${p.interventions.length} blocked or rewritten`,
        ],
        'no action was proposed in this period',
      ),
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI03',
    title: 'Identity and Privilege Abuse',
    control:
      'One SPIFFE identity per agent; least agency (autonomous ÷ granted permissions); verification flags an entry written under another agent’s identity',
    evidence: (p) =>
      when(
        p.metrics.leastAgency.length > 0 && p.metrics.entries > 0,
        [
          `least agency: ${p.metrics.leastAgency.map((l) => `${l.agentClass} ${l.autonomous}/${l.granted}`).join(', ')}`,
          `identity signal: ${pct(p.metrics.fiveSignal.perSignal.identity)} of agents; impersonations found: ${p.audit.verification.problems.filter((x) => x.code === 'IMPERSONATION').length}`,
        ],
        'no activity in this period',
      ),
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI04',
    title: 'Agentic Supply Chain Vulnerabilities',
    control: null,
    notCovered:
      'Vigil records which policy revision decided, but does not verify the provenance of its dependencies, models or policy bundles at run time',
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI05',
    title: 'Unexpected Code Execution (RCE)',
    control:
      'Agents execute only typed catalogue actions through an executor; no model output is run as code',
    evidence: (p) =>
      when(
        sum(p.executionsByType) > 0,
        [
          `executions by action type: ${Object.entries(p.executionsByType)
            .map(([k, v]) => `${v} ${k}`)
            .join(', ')}`,
        ],
        'no execution in this period',
      ),
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI06',
    title: 'Memory and Context Poisoning',
    control: null,
    notCovered:
      'no control guards the detector’s warm-up history or the coordinator’s checkpointed state against poisoning',
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI07',
    title: 'Insecure Inter-Agent Communication',
    control:
      'A2A over mutual TLS; the callee checks the caller’s certificate against the registry’s allowed calls; W3C trace context on every call',
    evidence: (p) =>
      when(
        (p.metrics.fiveSignal.perSignal.communication ?? 0) > 0,
        [
          `communication signal observed for ${pct(p.metrics.fiveSignal.perSignal.communication)} of agents; ${p.registry.callGraph.length} allowed calls declared`,
        ],
        'no traced inter-agent call in this period',
      ),
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI08',
    title: 'Cascading Failures',
    control:
      'One OS process per agent with memory limits, restart with back-off and crash-loop detection; fail-closed review; storms rolled up into one incident',
    evidence: (p) =>
      when(
        sum(p.lifecycle) > 0,
        [
          `${sum(p.lifecycle)} lifecycle entries; ${p.lifecycle['exited'] ?? 0} exits, ${p.lifecycle['memory-over-limit'] ?? 0} over the memory limit, ${p.lifecycle['failed'] ?? 0} failed`,
        ],
        'no lifecycle entry in this period',
      ),
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI09',
    title: 'Human-Agent Trust Exploitation',
    control:
      'An approval is bound to the digest of the exact action and signed by the person’s own key; model text is filtered before it reaches a channel',
    evidence: (p) =>
      when(
        p.escalations.length > 0,
        [`${p.escalations.length} escalations, each bound to an action digest`],
        'no escalation in this period',
      ),
  },
  {
    framework: 'OWASP ASI 2026',
    id: 'ASI10',
    title: 'Rogue Agents',
    control:
      'Per-writer hash chains signed by each agent’s identity; verification names impersonation and forged signatures; calls limited to the declared graph',
    evidence: (p) =>
      when(
        p.audit.verification.chains.length > 0,
        [verification(p)],
        'no writer chain in the audit store',
      ),
  },
];

/** Maps every clause of {@link CLAUSES} against the evidence pack. */
export function mapClauses(pack: EvidencePack): ClauseMapping[] {
  return CLAUSES.map((c) => {
    const base = { framework: c.framework, id: c.id, title: c.title, control: c.control };
    if (c.control === null || c.evidence === undefined)
      return {
        ...base,
        status: 'not covered' as const,
        evidence: [],
        reason: c.notCovered ?? 'Vigil has no control for this clause',
      };
    const found = c.evidence(pack);
    return 'items' in found
      ? { ...base, status: 'covered' as const, evidence: found.items }
      : {
          ...base,
          status: 'not covered' as const,
          evidence: [],
          reason: `no evidence in this period: ${found.missing}`,
        };
  });
}
