/**
 * The evidence pack of a period: everything the compliance report shows, gathered from
 * the audit store, the declaration, the policy bundle and the local PKI. Computations are
 * the ones `vigil metrics`, `vigil audit verify`, `vigil trace` and `vigil policy test`
 * use (`complianceFromEntries`, `verifyAudit`, `reconstructTrace`, `runPolicyTests`) —
 * called, never re-implemented — so the report's numbers are theirs.
 */
import { loadSystemVocabulary } from '../vocabulary.js';
import { readFile } from 'node:fs/promises';
import {
  complianceFromEntries,
  complianceTrend,
  reconstructTrace,
  renderTraceTree,
  verifyAudit,
  type AuditEntry,
  type AuditStore,
  type AuditVerification,
  type ComplianceMetrics,
  type ComplianceOptions,
  type TrendPoint,
} from '@vigil/audit';
import { agentCredentialPaths, inspectCertificate } from '@vigil/pki';
import {
  bundleRevision,
  loadPolicySource,
  policyDataFromSystem,
  type PolicySource,
  type PolicyTestReport,
} from '@vigil/policy';
import {
  describeSystem,
  resolveSystemPath,
  spiffeIdOf,
  type AgentSystem,
  type SystemDescription,
} from '@vigil/registry';
import type { EvaluationEvidence } from './evaluation.js';
import { escalationsOf, incidentsOf, interventionsOf } from './oversight.js';
import {
  testPolicyBundle,
  testRevisionsFromHistory,
  type RevisionInHistory,
} from './revision-history.js';
import type { Escalation, IncidentSummary, Intervention } from './oversight.js';
import type { Period } from './period.js';

/** A policy bundle revision that decided in (or was in force at the start of) the period. */
export interface PolicyRevision {
  readonly revision: string;
  /** Reviewer start-ups that loaded it (`policy-load` entries up to the period's end). */
  readonly loadedAt: readonly string[];
  readonly verdicts: number;
  /** True when it is the revision of the bundle on disk now. */
  readonly current: boolean;
  /** For a revision no longer on disk: where the bundle's git history holds it, tested there. */
  readonly history: RevisionInHistory | null;
}

/** The bundle on disk and the result of its tests, run with the real `opa test`. */
export interface PolicyBundleEvidence {
  readonly dir: string;
  readonly revision: string;
  readonly tests: PolicyTestReport | null;
  /** Why the tests could not run (opa missing, the bundle does not compile). */
  readonly testError: string | null;
}

/** The latest signed checkpoint of one writer chain. */
export interface CheckpointHead {
  readonly chain: string;
  readonly signer: string;
  readonly chainSeq: number;
  readonly headHash: string;
  readonly time: string;
  readonly final: boolean;
  readonly certFingerprint: string;
  readonly signature: string;
}

/** An agent's current certificate, as found in the state directory. */
export interface AgentCertificate {
  readonly agent: string;
  readonly spiffeId: string;
  readonly fingerprintSha256: string | null;
  readonly notAfter: string | null;
}

/** Everything the report renders. Plain JSON (it is also `--json`'s output). */
export interface EvidencePack {
  readonly version: 1;
  readonly system: { readonly name: string; readonly trustDomain: string };
  readonly period: { readonly from: string; readonly to: string };
  readonly generatedAt: string;
  readonly metrics: ComplianceMetrics;
  readonly trend: readonly TrendPoint[];
  readonly entriesByKind: Readonly<Record<string, number>>;
  readonly lifecycle: Readonly<Record<string, number>>;
  readonly analysesBySource: Readonly<Record<string, number>>;
  readonly executionsByType: Readonly<Record<string, number>>;
  readonly escalations: readonly Escalation[];
  readonly interventions: readonly Intervention[];
  readonly incidents: readonly IncidentSummary[];
  /** `vigil trace <incident>` of each incident, as it prints it. */
  readonly traces: Readonly<Record<string, string>>;
  readonly policy: {
    readonly revisions: readonly PolicyRevision[];
    readonly bundle: PolicyBundleEvidence;
  };
  readonly registry: SystemDescription;
  readonly certificates: readonly AgentCertificate[];
  readonly audit: {
    readonly verification: AuditVerification;
    readonly heads: readonly CheckpointHead[];
  };
  /** The `vigil eval` run given to the report (`--eval`), or null. */
  readonly evaluation: EvaluationEvidence | null;
}

/** What {@link collectEvidence} reads. */
export interface EvidenceSources {
  readonly system: AgentSystem;
  readonly store: AuditStore;
  readonly stateDir: string;
  readonly caPem: string;
  readonly period: Period;
  /** The policy entrypoint the reviewer serves (its revision depends on it). */
  readonly entrypoint: string;
  readonly evaluation?: EvaluationEvidence | undefined;
  readonly now?: Date;
}

function count<T>(items: readonly T[], key: (item: T) => string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const item of items) {
    const k = key(item);
    if (k !== null) out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}

async function collect(
  store: AuditStore,
  query: Parameters<AuditStore['query']>[0],
): Promise<AuditEntry[]> {
  const out: AuditEntry[] = [];
  for await (const e of store.query(query)) out.push(e);
  return out;
}

async function policyEvidence(
  sources: EvidenceSources,
  entries: readonly AuditEntry[],
): Promise<EvidencePack['policy']> {
  const { system, store, period } = sources;
  const dir = resolveSystemPath(system, system.policy.bundle);
  const data = policyDataFromSystem(system);
  const revisionOf = (source: PolicySource): string =>
    bundleRevision(source, sources.entrypoint, data);
  const revision = revisionOf(await loadPolicySource(dir));
  const { tests, testError } = await testPolicyBundle(dir);
  const loads = await collect(store, { kinds: ['policy-load'], until: period.to });
  // In force during the period: the last load before it, every load inside it, and any
  // revision a verdict of the period names.
  const before = loads.filter((e) => Date.parse(e.time) < period.from.getTime()).at(-1);
  const inside = loads.filter((e) => Date.parse(e.time) >= period.from.getTime());
  const verdictRevisions = count(
    entries.filter((e) => e.kind === 'verdict'),
    (e) => (typeof e.why['revision'] === 'string' ? e.why['revision'] : null),
  );
  const names = new Set<string>();
  for (const e of [...(before === undefined ? [] : [before]), ...inside])
    if (typeof e.what['revision'] === 'string') names.add(e.what['revision']);
  for (const r of Object.keys(verdictRevisions)) names.add(r);
  const older = new Set([...names].filter((r) => r !== revision));
  const history = await testRevisionsFromHistory(dir, older, revisionOf);
  const revisions = [...names].map((r) => ({
    revision: r,
    loadedAt: loads.filter((e) => e.what['revision'] === r).map((e) => e.time),
    verdicts: verdictRevisions[r] ?? 0,
    current: r === revision,
    history: history.get(r) ?? null,
  }));
  return { revisions, bundle: { dir, revision, tests, testError } };
}

async function checkpointHeads(store: AuditStore): Promise<CheckpointHead[]> {
  const latest = new Map<string, CheckpointHead>();
  for (const c of await store.checkpoints()) {
    const seen = latest.get(c.chain);
    if (seen !== undefined && seen.chainSeq >= c.chainSeq) continue;
    latest.set(c.chain, {
      chain: c.chain,
      signer: c.signer,
      chainSeq: c.chainSeq,
      headHash: c.headHash,
      time: c.time,
      final: c.final,
      certFingerprint: c.certFingerprint,
      signature: c.signature,
    });
  }
  return [...latest.values()].sort((a, b) => a.chain.localeCompare(b.chain));
}

async function certificatesOf(system: AgentSystem, stateDir: string): Promise<AgentCertificate[]> {
  return Promise.all(
    system.agents.map(async (a) => {
      const base = { agent: a.name, spiffeId: spiffeIdOf(system, a.name) };
      try {
        const info = inspectCertificate(
          await readFile(agentCredentialPaths(stateDir, a.name).cert, 'utf8'),
        );
        return {
          ...base,
          fingerprintSha256: info.fingerprintSha256,
          notAfter: info.notAfter.toISOString(),
        };
      } catch {
        return { ...base, fingerprintSha256: null, notAfter: null };
      }
    }),
  );
}

/**
 * Gathers the evidence pack of `sources.period`. Reads the store (entries of the period,
 * escalations up to its end, policy loads, checkpoints) and verifies the whole log once.
 */
export async function collectEvidence(sources: EvidenceSources): Promise<EvidencePack> {
  const { system, store, period } = sources;
  const entries = await collect(store, { since: period.from, until: period.to });
  const chainIdentity = new Map((await store.chains()).map((c) => [c.chain, c.identity]));
  const { audit: vocabulary } = await loadSystemVocabulary(system);
  const options = (p: Period): ComplianceOptions => ({
    vocabulary,
    agents: system.agents,
    spiffeIdOf: (name) => spiffeIdOf(system, name),
    since: p.from,
    until: p.to,
  });
  const metrics = complianceFromEntries(entries, options(period), chainIdentity);
  const trend = complianceTrend(entries, period, options(period), chainIdentity);
  const oversight = await collect(store, {
    kinds: ['approval-request', 'approval'],
    until: period.to,
  });
  const incidents = incidentsOf(entries);
  const traces: Record<string, string> = {};
  for (const incident of incidents)
    traces[incident.id] = renderTraceTree(await reconstructTrace(store, incident.id, vocabulary));
  const verification = await verifyAudit(store, { caPem: sources.caPem, workers: 'auto' });
  return {
    version: 1,
    system: { name: system.metadata.name, trustDomain: system.trustDomain },
    period: { from: period.from.toISOString(), to: period.to.toISOString() },
    generatedAt: (sources.now ?? new Date()).toISOString(),
    metrics,
    trend,
    entriesByKind: count(entries, (e) => e.kind),
    lifecycle: count(
      entries.filter((e) => e.kind === 'agent-lifecycle'),
      (e) => (typeof e.what['event'] === 'string' ? e.what['event'] : null),
    ),
    analysesBySource: count(
      entries.filter((e) => e.kind === 'analysis'),
      (e) => (typeof e.why['source'] === 'string' ? e.why['source'] : 'unrecorded'),
    ),
    executionsByType: count(
      entries.filter((e) => e.kind === 'execution' && e.what['phase'] === 'intent'),
      (e) => {
        const a = e.what['action'] as { type?: unknown } | undefined;
        return typeof a?.type === 'string' ? a.type : 'unknown';
      },
    ),
    escalations: escalationsOf(oversight, period),
    interventions: interventionsOf(entries),
    incidents,
    traces,
    policy: await policyEvidence(sources, entries),
    registry: describeSystem(system),
    certificates: await certificatesOf(system, sources.stateDir),
    audit: { verification, heads: await checkpointHeads(store) },
    evaluation: sources.evaluation ?? null,
  };
}
