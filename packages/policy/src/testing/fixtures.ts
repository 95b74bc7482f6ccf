/**
 * Test fixtures shared by the policy tests and the benchmark (not exported by the
 * package): SOC policy data as `policyDataFromSystem` would make it, a realistic mix of
 * proposed actions, and a throw-away CA with leaf identities made by openssl.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../opa.js';
import { policyDataFromSystem, type PolicySystemView } from '../system-data.js';
import type { PolicyInput } from '../types.js';

export const SOC_BUNDLE_DIR = resolve(REPO_ROOT, 'policies/soc');
export const SOC_ENTRYPOINT = 'vigil/soc/review/verdict';
export const TRUST_DOMAIN = 'vigil.test';
export const REMEDIATOR = `spiffe://${TRUST_DOMAIN}/agent/remediator`;
export const REVIEWER = `spiffe://${TRUST_DOMAIN}/agent/reviewer`;

/** A registry system view shaped like the SOC's vigil.yaml. */
export const SOC_SYSTEM: PolicySystemView = {
  metadata: { name: 'soc', namespace: 'vigil' },
  trustDomain: TRUST_DOMAIN,
  agents: [
    { name: 'detector', role: 'detector', autonomy: { autoExecute: [] } },
    { name: 'analyst', role: 'analyst', autonomy: { autoExecute: [] } },
    {
      name: 'remediator',
      role: 'remediator',
      autonomy: {
        autoExecute: ['isolate-pod', 'block-ip', 'delete-pod', 'scale-to-zero', 'revoke-sa-token'],
      },
    },
    { name: 'reviewer', role: 'reviewer', autonomy: { autoExecute: [] } },
  ],
  policy: {
    engine: 'wasm',
    bundle: 'policies/soc',
    failClosed: 'deny',
    maxReviewRounds: 2,
    escalation: {
      confidenceThreshold: 0.7,
      maxBlastRadius: 10,
      alwaysEscalate: {
        namespaces: ['kube-system'],
        kinds: ['APIServer', 'Etcd', 'IngressController'],
        labels: [{ tier: 'customer-facing' }],
      },
    },
    settings: { production: { namespaces: ['prod'] } },
  },
};

export const SOC_DATA = policyDataFromSystem(SOC_SYSTEM);

/** A clean, allowed request: isolate one pod in a non-production namespace. */
export function baseInput(): PolicyInput {
  return {
    action: {
      type: 'isolate-pod',
      target: { kind: 'Pod', namespace: 'shop', name: 'web-1' },
      parameters: {},
    },
    asset: {
      kind: 'Pod',
      name: 'web-1',
      namespace: 'shop',
      labels: { app: 'web' },
      owner: { kind: 'Deployment', name: 'web' },
    },
    blastRadius: { pods: 1, replicas: 1, users: 0 },
    analysis: {
      severity: 'high',
      confidence: 0.9,
      ruleConfidence: 0.9,
      techniques: ['T1059'],
      source: 'model',
    },
    detectorScore: 0.8,
    requester: { spiffeId: REMEDIATOR },
    time: '2026-11-25T18:00:00Z',
  };
}

/** `baseInput()` with top-level fields replaced. */
export function inputWith(patch: Partial<PolicyInput>): PolicyInput {
  return { ...baseInput(), ...patch };
}

export const DELETE_IN_PROD = inputWith({
  action: {
    type: 'delete-pod',
    target: { namespace: 'prod', pod: 'api-7' },
    parameters: {},
  },
  asset: { kind: 'Pod', name: 'api-7', namespace: 'prod', labels: {} },
});

export const WIDE_BLOCK = inputWith({
  action: { type: 'block-ip', target: {}, parameters: { cidr: '203.0.0.0/16' } },
  asset: { kind: 'Network', name: 'egress', labels: {} },
  analysis: {
    severity: 'high',
    confidence: 0.9,
    ruleConfidence: 0.9,
    techniques: ['T1071'],
    source: 'model',
    observedAddresses: ['203.0.113.9', '198.51.100.7'],
  },
});

export const SCALE_WEB = inputWith({
  action: {
    type: 'scale-to-zero',
    target: { kind: 'Deployment', namespace: 'shop', name: 'web' },
    parameters: {},
  },
  asset: { kind: 'Deployment', name: 'web', namespace: 'shop', labels: {}, replicas: 3 },
  blastRadius: { pods: 3, replicas: 3, users: 0 },
  analysis: {
    severity: 'high',
    confidence: 0.9,
    ruleConfidence: 0.9,
    techniques: ['T1496'],
    source: 'model',
    affectedPods: ['web-b'],
  },
});

/** One expected outcome of the SOC policy, checked against every backend. */
export interface PolicyCase {
  readonly name: string;
  readonly input: PolicyInput;
  readonly decision: string;
  readonly rules: readonly string[];
  readonly reasons?: readonly string[];
  readonly confidence?: number;
  readonly mutatedAction?: unknown;
}

export const POLICY_CASES: readonly PolicyCase[] = [
  {
    name: 'allows isolating one pod outside production',
    input: baseInput(),
    decision: 'allow',
    rules: ['allow.no-objection'],
    confidence: 0.752,
  },
  {
    name: "takes the reviewer confidence from rule evidence, never from a model's self-report",
    input: inputWith({
      analysis: {
        severity: 'high',
        confidence: 0.99,
        ruleConfidence: 0.5,
        techniques: [],
        source: 'model',
      },
      detectorScore: 0.6,
    }),
    decision: 'escalate',
    rules: ['escalate.low-confidence'],
    confidence: 0.48,
  },
  {
    name: 'denies an unknown action type',
    input: inputWith({ action: { type: 'reboot-cluster', target: {}, parameters: {} } }),
    decision: 'deny',
    rules: ['deny.unknown-action'],
  },
  {
    name: 'denies a request from an agent other than the remediator',
    input: inputWith({ requester: { spiffeId: `spiffe://${TRUST_DOMAIN}/agent/analyst` } }),
    decision: 'deny',
    rules: ['deny.requester-not-remediator'],
  },
  {
    name: 'denies actions on the Vigil namespace itself',
    input: inputWith({
      action: {
        type: 'isolate-pod',
        target: { kind: 'Pod', namespace: 'vigil', name: 'reviewer-0' },
        parameters: {},
      },
      asset: { kind: 'Pod', name: 'reviewer-0', namespace: 'vigil', labels: {} },
    }),
    decision: 'deny',
    rules: ['deny.vigil-namespace'],
    reasons: ['target is in the Vigil namespace "vigil"'],
  },
  {
    name: 'denies blocking 0.0.0.0/0',
    input: inputWith({
      ...WIDE_BLOCK,
      action: { type: 'block-ip', target: {}, parameters: { cidr: '0.0.0.0/0' } },
    }),
    decision: 'deny',
    rules: ['deny.range-too-wide'],
  },
  {
    name: 'escalates below the confidence threshold',
    input: inputWith({
      detectorScore: 0.1,
      analysis: {
        severity: 'low',
        confidence: 0.5,
        ruleConfidence: 0.5,
        techniques: [],
        source: 'model',
      },
    }),
    decision: 'escalate',
    rules: ['escalate.low-confidence'],
    reasons: ['reviewer confidence 0.28 is below the threshold 0.7'],
    confidence: 0.28,
  },
  {
    name: 'escalates actions in kube-system',
    input: inputWith({
      action: {
        type: 'isolate-pod',
        target: { kind: 'Pod', namespace: 'kube-system', name: 'coredns-1' },
        parameters: {},
      },
      asset: { kind: 'Pod', name: 'coredns-1', namespace: 'kube-system', labels: {} },
    }),
    decision: 'escalate',
    rules: ['escalate.protected-namespace'],
  },
  {
    name: 'escalates customer-facing workloads by label',
    input: inputWith({
      asset: { kind: 'Pod', name: 'web-1', namespace: 'shop', labels: { tier: 'customer-facing' } },
    }),
    decision: 'escalate',
    rules: ['escalate.protected-label'],
    reasons: ['asset labels match the always-escalate selector {"tier":"customer-facing"}'],
  },
  {
    name: 'escalates an etcd member by kind',
    input: inputWith({ asset: { kind: 'Etcd', name: 'web-1', namespace: 'shop', labels: {} } }),
    decision: 'escalate',
    rules: ['escalate.protected-kind'],
  },
  {
    name: 'escalates above the maximum blast radius',
    input: inputWith({ blastRadius: { pods: 4, replicas: 9, users: 2 } }),
    decision: 'escalate',
    rules: ['escalate.blast-radius'],
    reasons: ['blast radius 11 exceeds the maximum 10'],
  },
  {
    name: 'escalates action types outside the autonomy list',
    input: inputWith({
      action: { type: 'cordon-node', target: { kind: 'Node', name: 'node-1' }, parameters: {} },
      asset: { kind: 'Node', name: 'node-1', labels: {} },
    }),
    decision: 'escalate',
    rules: ['escalate.not-autonomous'],
  },
  {
    name: 'rewrites delete-pod in production into isolate-pod',
    input: DELETE_IN_PROD,
    decision: 'mutate',
    rules: ['mutate.delete-pod-to-isolate'],
    mutatedAction: {
      type: 'isolate-pod',
      target: { namespace: 'prod', pod: 'api-7' },
      parameters: {},
    },
  },
  {
    name: 'rewrites a /16 block into a /32 block of the observed address',
    input: WIDE_BLOCK,
    decision: 'mutate',
    rules: ['mutate.narrow-block'],
    reasons: ['block of 203.0.0.0/16 becomes a block of the observed address 203.0.113.9/32'],
    mutatedAction: {
      type: 'block-ip',
      target: {},
      parameters: { cidr: '203.0.113.9/32' },
    },
  },
  {
    name: 'rewrites scale-to-zero of three replicas into isolating the affected pod',
    input: SCALE_WEB,
    decision: 'mutate',
    rules: ['mutate.scale-to-zero-to-isolate'],
    mutatedAction: {
      type: 'isolate-pod',
      target: { namespace: 'shop', pod: 'web-b' },
      parameters: {},
    },
  },
];

/** A CA and leaf identities in a temp dir, made with openssl (P-256, SPIFFE URI SANs). */
export interface TestPki {
  readonly caPem: string;
  /** Issues a leaf for `spiffeId`; `ca` defaults to this CA. */
  issue(spiffeId: string): { spiffeId: string; certPem: string; privateKeyPem: string };
  /** A second, unrelated CA issuing leaves (for "another CA" tests). */
  other(): TestPki;
  cleanup(): void;
}

function openssl(args: string[], cwd: string): void {
  try {
    execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
  } catch (error) {
    throw new Error(
      `openssl ${args[0]} failed (is openssl installed?): ${String((error as { stderr?: Buffer }).stderr ?? error)}`,
    );
  }
}

export function createTestPki(name = 'vigil-test-ca'): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-policy-pki-'));
  openssl(
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  let serial = 0;
  const others: TestPki[] = [];
  return {
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    issue(spiffeId: string) {
      serial += 1;
      const base = `leaf${serial}`;
      writeFileSync(
        join(dir, `${base}.ext`),
        `subjectAltName=URI:${spiffeId}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n`,
      );
      openssl(
        [
          'req',
          '-new',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-keyout',
          `${base}.key`,
          '-out',
          `${base}.csr`,
          '-subj',
          `/CN=${base}`,
        ],
        dir,
      );
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `${base}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-set_serial',
          String(1000 + serial),
          '-out',
          `${base}.crt`,
          '-days',
          '1',
          '-extfile',
          `${base}.ext`,
        ],
        dir,
      );
      return {
        spiffeId,
        certPem: readFileSync(join(dir, `${base}.crt`), 'utf8'),
        privateKeyPem: readFileSync(join(dir, `${base}.key`), 'utf8'),
      };
    },
    other() {
      const o = createTestPki('other-ca');
      others.push(o);
      return o;
    },
    cleanup() {
      for (const o of others) o.cleanup();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
