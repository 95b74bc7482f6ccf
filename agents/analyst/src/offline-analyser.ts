import type { ActionType, Analysis, Finding, Severity } from '@vigil/soc';

/**
 * The offline analyser: deterministic rules that map well-known Kubernetes attack
 * patterns to MITRE ATT&CK techniques. It is the default analyst (no model, no
 * network) and the fallback when a model fails; its output says it is rule-based.
 *
 * Each rule looks at the normalised event of a finding. Several rules may match; the
 * analysis takes the union of techniques and responses and the highest severity, and a
 * confidence that grows with independent corroboration (documented in `combine`).
 */
export interface AnalysisRule {
  readonly id: string;
  readonly technique: string;
  readonly severity: Severity;
  /** Confidence of this rule alone, before the detector score is taken into account. */
  readonly confidence: number;
  readonly responses: readonly ActionType[];
  readonly matches: (event: NormalisedEventView) => string | undefined;
}

/** The fields of `SecurityEvent` the rules read (the finding carries the event as JSON). */
export interface NormalisedEventView {
  readonly format?: string;
  readonly classUid?: number;
  readonly activity?: string;
  readonly rule?: string;
  readonly tags?: readonly string[];
  readonly actor?: {
    user?: string;
    groups?: readonly string[];
    sourceIp?: string;
    claimedSourceIps?: readonly string[];
  };
  readonly resource?: { type?: string; subresource?: string; name?: string; namespace?: string };
  readonly process?: { name?: string; cmdline?: string };
  readonly network?: { dstIp?: string; dstPort?: number };
  readonly outcome?: { code?: number };
  readonly raw?: unknown;
}

const MINER_PROCESS =
  /\b(xmrig|minerd|cpuminer|ccminer|ethminer|t-rex|nbminer|kdevtmpfsi|kinsing)\b/i;
const MINING_PORTS = new Set([3333, 4444, 5555, 7777, 14444, 45700]);
const SHELLS = /^(sh|bash|ash|dash|zsh|ksh)$/;

/** The client-claimed (X-Forwarded-For) addresses, shown as claims beside the observed one. */
function claimedSuffix(claimed: readonly string[] | undefined): string {
  return claimed && claimed.length > 0 ? ` (client claims ${claimed.join(', ')})` : '';
}

function isServiceAccount(user: string | undefined): boolean {
  return user?.startsWith('system:serviceaccount:') ?? false;
}

function requestRoleRef(raw: unknown): string | undefined {
  const obj = raw as { requestObject?: { roleRef?: { name?: unknown } } } | undefined;
  const name = obj?.requestObject?.roleRef?.name;
  return typeof name === 'string' ? name : undefined;
}

/** The rule set; order only matters for the wording of the summary. */
export const OFFLINE_RULES: readonly AnalysisRule[] = [
  {
    id: 'crypto-miner-process',
    technique: 'T1496',
    severity: 'critical',
    confidence: 0.9,
    responses: ['isolate-pod', 'delete-pod'],
    matches: (e) => {
      const text = `${e.process?.name ?? ''} ${e.process?.cmdline ?? ''}`;
      return MINER_PROCESS.test(text)
        ? `process "${e.process?.name ?? text.trim()}" is a known crypto-miner`
        : undefined;
    },
  },
  {
    id: 'mining-pool-connection',
    technique: 'T1496',
    severity: 'high',
    confidence: 0.75,
    responses: ['block-ip', 'isolate-pod'],
    matches: (e) =>
      e.network?.dstPort !== undefined && MINING_PORTS.has(e.network.dstPort)
        ? `outbound connection to ${e.network.dstIp ?? '?'}:${e.network.dstPort}, a port used by mining pools`
        : undefined,
  },
  {
    // Developers exec into pods every day and Falco's shell rule is among its noisiest:
    // a shell alone is a question for a human (below the shipped 0.55 reviewer threshold
    // unless the detector finds it extremely unusual); with a miner, drift or a token
    // read it combines into an analysis the policy may act on.
    id: 'shell-in-container',
    technique: 'T1609',
    severity: 'high',
    confidence: 0.5,
    responses: ['isolate-pod'],
    matches: (e) => {
      if (e.rule && /terminal shell in container|shell.*container/i.test(e.rule))
        return `Falco rule "${e.rule}" fired`;
      if (
        e.resource?.type === 'pods' &&
        e.resource.subresource === 'exec' &&
        e.activity !== 'get'
      ) {
        return `${e.actor?.user ?? 'someone'} opened an exec session into pod ${e.resource.namespace ?? ''}/${e.resource.name ?? ''}`;
      }
      if (e.process?.name && SHELLS.test(e.process.name) && e.classUid === 1007)
        return `interactive shell "${e.process.name}" started in a container`;
      return undefined;
    },
  },
  {
    // Container drift: a running container executes a binary its image never had. The
    // Deployment can recreate the pod from the clean image, so replacing it is the fix
    // (and the policy turns the delete into an isolation where evidence matters).
    id: 'container-drift',
    technique: 'T1105',
    severity: 'high',
    confidence: 0.8,
    responses: ['delete-pod'],
    matches: (e) =>
      e.rule && /drop and execute new binary|container drift/i.test(e.rule)
        ? `Falco rule "${e.rule}" fired: ${e.process?.name ?? 'a binary'} is not part of the container image`
        : undefined,
  },
  {
    id: 'anonymous-api-access',
    technique: 'T1078.001',
    severity: 'high',
    confidence: 0.8,
    responses: ['block-ip'],
    matches: (e) =>
      e.actor?.user === 'system:anonymous' &&
      (e.outcome?.code === undefined || e.outcome.code < 400)
        ? `anonymous request "${e.activity ?? ''} ${e.resource?.type ?? ''}" succeeded from ${e.actor.sourceIp ?? 'an unknown address'}${claimedSuffix(e.actor.claimedSourceIps)}`
        : undefined,
  },
  {
    id: 'cluster-admin-binding',
    technique: 'T1098',
    severity: 'critical',
    confidence: 0.85,
    responses: ['disable-user'],
    matches: (e) => {
      const binding =
        e.resource?.type === 'clusterrolebindings' || e.resource?.type === 'rolebindings';
      if (
        !binding ||
        (e.activity !== 'create' && e.activity !== 'update' && e.activity !== 'patch')
      )
        return undefined;
      return requestRoleRef(e.raw) === 'cluster-admin'
        ? `${e.actor?.user ?? 'someone'} bound cluster-admin through ${e.resource?.type} ${e.resource?.name ?? ''}`
        : undefined;
    },
  },
  {
    id: 'service-account-token-read',
    technique: 'T1528',
    severity: 'high',
    confidence: 0.65,
    responses: ['revoke-sa-token', 'disable-user'],
    matches: (e) => {
      const tokenRequest =
        e.resource?.type === 'serviceaccounts' && e.resource.subresource === 'token';
      const secretRead =
        e.resource?.type === 'secrets' && (e.activity === 'get' || e.activity === 'list');
      if (!tokenRequest && !secretRead) return undefined;
      const who = e.actor?.user ?? 'unknown';
      if (isServiceAccount(who) && tokenRequest) return undefined;
      return `${who} ${tokenRequest ? 'requested a service-account token' : `read secrets`} in ${e.resource?.namespace ?? 'the cluster'}`;
    },
  },
  {
    id: 'unusual-egress',
    technique: 'T1041',
    severity: 'medium',
    confidence: 0.5,
    responses: ['block-ip'],
    matches: (e) =>
      e.classUid === 4001 && e.network?.dstIp !== undefined && !isPrivateAddress(e.network.dstIp)
        ? `egress to ${e.network.dstIp}${e.network.dstPort === undefined ? '' : `:${e.network.dstPort}`}, an address not seen in the baseline`
        : undefined,
  },
];

/** RFC 1918, loopback and link-local IPv4 ranges. */
export function isPrivateAddress(ip: string): boolean {
  const m = /^(\d+)\.(\d+)\.\d+\.\d+$/.exec(ip);
  if (!m) return false;
  const a = Number(m[1]);
  const b = Number(m[2]);
  return (
    a === 10 ||
    a === 127 ||
    (a === 172 && b >= 16 && b <= 31) ||
    (a === 192 && b === 168) ||
    (a === 169 && b === 254)
  );
}

const SEVERITY_ORDER: readonly Severity[] = ['low', 'medium', 'high', 'critical'];

/**
 * Analyses a finding with {@link OFFLINE_RULES}. Confidence: the best matching rule's
 * confidence, raised by each further matching rule as independent evidence
 * (1 − Π(1 − cᵢ)), then weighted by how anomalous the detector found the event:
 * `confidence = combined × (0.7 + 0.3 × score)`. No rule matching gives a low-confidence
 * `low` analysis with no recommended response (the reviewer will then escalate nothing
 * and the notifier still reports it).
 */
export function analyseOffline(finding: Finding): Analysis {
  const event = finding.event as unknown as NormalisedEventView;
  const hits = OFFLINE_RULES.flatMap((rule) => {
    const why = rule.matches(event);
    return why === undefined ? [] : [{ rule, why }];
  });
  if (hits.length === 0) {
    return {
      techniques: [],
      severity: 'low',
      confidence: round(0.2 * (0.7 + 0.3 * finding.score)),
      summary: `Anomalous ${event.activity ?? 'event'} (score ${finding.score.toFixed(2)}) matched no known attack pattern.`,
      rationale: `Rule-based analysis: the detector scored this event ${finding.score.toFixed(3)} (threshold ${finding.threshold.toFixed(3)}); none of the ${OFFLINE_RULES.length} offline rules matched, so no response is recommended.`,
      recommendedResponses: [],
      source: 'rule-based',
    };
  }
  const combined = 1 - hits.reduce((p, h) => p * (1 - h.rule.confidence), 1);
  const severity = hits
    .map((h) => h.rule.severity)
    .reduce((a, b) => (SEVERITY_ORDER.indexOf(b) > SEVERITY_ORDER.indexOf(a) ? b : a));
  const techniques = unique(hits.map((h) => h.rule.technique));
  const responses = unique(hits.flatMap((h) => h.rule.responses));
  return {
    techniques,
    severity,
    confidence: round(combined * (0.7 + 0.3 * finding.score)),
    summary: `${capitalise(hits[0]!.why)} (${techniques.join(', ')}).`,
    rationale: [
      `Rule-based analysis (offline analyser, no language model). Matched ${hits.length} rule(s):`,
      ...hits.map(
        (h) =>
          `- ${h.rule.id} → ${h.rule.technique} (${h.rule.severity}, ${h.rule.confidence}): ${h.why}`,
      ),
      `Detector score ${finding.score.toFixed(3)} against threshold ${finding.threshold.toFixed(3)}.`,
    ].join('\n'),
    recommendedResponses: responses,
    source: 'rule-based',
  };
}

function unique<T>(items: readonly T[]): T[] {
  return [...new Set(items)];
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
