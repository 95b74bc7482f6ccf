/**
 * What the console reads from the coordinator's operations API. Every shape the OpenAPI
 * document names is taken from the generated `schema.ts`, never restated here; the
 * console only names them and adds the pieces it derives.
 */
import type { components } from './schema.js';

type Schemas = components['schemas'];

export type Incident = Schemas['Incident'] & {
  /** ATT&CK technique ids of the incident's analysis, when the API includes them. */
  readonly techniques?: readonly string[];
  /** The main correlation entity (workload, actor, host), when the API includes it. */
  readonly entity?: string | null;
};
export type IncidentStatus = Incident['status'];
export type Approval = Schemas['Approval'];
export type ApprovalStatus = Approval['status'];
export type ProposedAction = Schemas['ProposedAction'];
export type Review = Schemas['Review'];
export type HumanDecision = Schemas['HumanDecision'];
export type RollupDigest = Schemas['RollupDigest'];
export type IncidentSummary = Schemas['IncidentSummary'];
export type Analysis = IncidentSummary['analysis'];
export type Finding = IncidentSummary['finding'];
export type IncidentItem = IncidentSummary['items'][number];
export type ProposalOutcome = IncidentItem['outcome'];

/** `GET /v1/incidents/{id}`. */
export interface IncidentDetail {
  readonly incident: Incident;
  readonly summary: IncidentSummary | null;
  readonly approvals: readonly Approval[];
}

export type Severity = 'info' | 'low' | 'medium' | 'high' | 'critical';

export type AuditEntry = Schemas['AuditEntry'];
export type AuditVerification = Schemas['AuditVerification'];
export type Trace = Schemas['Trace'];
export type TraceStep = Trace['steps'][number];
export type AgentView = Schemas['AgentView'];
export type Compliance = Schemas['Compliance'];
export type TrendPoint = Schemas['TrendPoint'];
export type Policies = Schemas['Policies'];
export type PolicyRule = Policies['rules'][number];
