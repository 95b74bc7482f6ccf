/**
 * What the console reads from the coordinator's operations API, as the pages use it.
 * Each type names the API's own shape (see `schema.ts`, generated from the OpenAPI
 * document); fields the console adds nothing to are passed through unchanged.
 */

export type IncidentStatus = 'open' | 'awaiting-approval' | 'closed' | 'failed';
export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'expired';
export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';
export type Role = 'viewer' | 'analyst' | 'admin';

export interface RollupDigest {
  readonly storms: Readonly<Record<string, number>>;
  readonly count: number;
  readonly firstAt: number;
  readonly lastAt: number;
  readonly maxScore: number;
  readonly entities: Readonly<Record<string, number>>;
  readonly latest: readonly string[];
}

export interface Incident {
  readonly id: string;
  readonly status: IncidentStatus;
  readonly title: string;
  readonly severity: string;
  readonly createdAt: number;
  readonly updatedAt: number;
  readonly findings: number;
  readonly lastError?: string;
  readonly rollup?: RollupDigest;
  /** ATT&CK technique ids of the incident's analysis, when the API includes them. */
  readonly techniques?: readonly string[];
  /** The main correlation entity (workload, actor, host), when the API includes it. */
  readonly entity?: string | null;
}

export interface ProposedAction {
  readonly type: string;
  readonly target: Readonly<Record<string, unknown>>;
  readonly parameters: Readonly<Record<string, unknown>>;
}

export interface Review {
  readonly decision: 'allow' | 'deny' | 'escalate' | 'mutate';
  readonly action: ProposedAction;
  readonly verdict: string;
  readonly reasons: readonly string[];
  readonly rules: readonly string[];
  readonly revision: string;
  readonly confidence: number;
}

export interface HumanDecision {
  readonly decision: 'approve' | 'reject' | 'expired';
  readonly by: string;
  readonly reason: string;
  readonly editedAction?: ProposedAction;
  readonly approval?: string;
  readonly at: number;
}

export interface Approval {
  readonly id: string;
  readonly incidentId: string;
  readonly proposalId: string;
  readonly action: ProposedAction;
  readonly actionDigest: string;
  readonly review: Review;
  readonly status: ApprovalStatus;
  readonly requestedAt: number;
  readonly expiresAt: number;
  readonly decision?: HumanDecision;
}

export interface Technique {
  readonly id: string;
  readonly name?: string;
}

export interface Analysis {
  readonly techniques: readonly (Technique | string)[];
  readonly severity: string;
  readonly confidence: number;
  readonly summary: string;
  readonly rationale: string;
  readonly recommendedResponses: readonly string[];
  readonly source: 'model' | 'rule-based';
  readonly model?: {
    readonly provider: string;
    readonly name: string;
    readonly promptDigest: string;
  };
  readonly degraded?: string;
  readonly evidence?: unknown;
  readonly advice?: unknown;
}

export interface Finding {
  readonly id: string;
  readonly detectedAt: number;
  readonly score: number;
  readonly threshold: number;
  readonly event: Readonly<Record<string, unknown>>;
  readonly detection?: unknown;
  readonly entities: Readonly<Record<string, string | undefined>>;
  readonly topFeatures?: readonly { name: string; value: number; contribution: number }[];
}

export type ProposalOutcome =
  | 'executed'
  | 'execution-failed'
  | 'denied-by-policy'
  | 'rejected-by-human'
  | 'approval-expired'
  | 'awaiting-approval';

export interface IncidentItem {
  readonly proposal: {
    readonly id: string;
    readonly action: ProposedAction;
    readonly blastRadius: Readonly<Record<string, unknown>>;
    readonly asset: Readonly<Record<string, unknown>>;
  };
  readonly review?: Review;
  readonly outcome: ProposalOutcome;
  readonly detail?: string;
}

export interface IncidentSummary {
  readonly incidentId: string;
  readonly status: string;
  readonly finding: Finding;
  readonly analysis: Analysis;
  readonly items: readonly IncidentItem[];
  readonly skipped: readonly unknown[];
  readonly degraded: readonly string[];
}

export interface IncidentDetail {
  readonly incident: Incident;
  readonly summary: IncidentSummary | null;
  readonly approvals: readonly Approval[];
}

/** One audit entry, as `vigil audit export` writes it. */
export interface AuditEntry {
  readonly seq?: number;
  readonly at?: number | string;
  readonly kind: string;
  readonly actor: string;
  readonly incidentId: string | null;
  readonly traceId?: string | null;
  readonly what: Readonly<Record<string, unknown>>;
  readonly why: Readonly<Record<string, unknown>> | null;
  readonly hash?: string;
}
