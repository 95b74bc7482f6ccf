/**
 * The one normalised event shape every source and format becomes, aligned with OCSF
 * 1.x: `classUid` is the OCSF class (API Activity 6003, Process Activity 1007, Network
 * Activity 4001, Detection Finding 2004), `severityId` the OCSF severity (0 unknown …
 * 6 fatal). The original record is kept verbatim in `raw` as evidence.
 */
export interface SecurityEvent {
  /** Stable id: the source's own (auditID, Falco uuid, OCSF metadata.uid) or a digest of the raw record. */
  readonly id: string;
  /** Event time, epoch milliseconds. */
  readonly time: number;
  /** The format it arrived in. */
  readonly format: EventFormat;
  /** The wrapper or forwarder it came through, when not the producer's own format. */
  readonly origin?: EventOrigin;
  /** OCSF class_uid. */
  readonly classUid: OcsfClassUid;
  /** What happened: an audit verb (`create`, `get`), a process or network activity, or a Falco rule name. */
  readonly activity: string;
  /** OCSF severity_id, 0..6. */
  readonly severityId: number;
  readonly actor: EventActor;
  readonly network?: EventNetwork;
  /** The Kubernetes API object acted on (audit `objectRef`). */
  readonly resource?: EventResource;
  /** Where it ran: the workload of a Falco alert or the pod of an OCSF process event. */
  readonly workload?: EventWorkload;
  readonly process?: EventProcess;
  /** HTTP status for API activity; `allow`/`forbid` authorisation decision when known. */
  readonly outcome?: { readonly code?: number; readonly decision?: 'allow' | 'forbid' };
  /** Detection rule name (Falco `rule`, OCSF finding title) when the source already judged it. */
  readonly rule?: string;
  /** Source tags (Falco tags include MITRE ids such as `T1611`). */
  readonly tags: readonly string[];
  /** Audit `requestURI` (path and query), when the source recorded it. */
  readonly requestUri?: string;
  /**
   * The inner audit event's `requestObject` / `responseObject` (GKE: `protoPayload.request`
   * / `.response`), by reference, whatever wrapper the event came in: where privileged
   * pods, host mounts and RBAC rules are visible. Absent below level `Request`.
   */
  readonly requestObject?: unknown;
  readonly responseObject?: unknown;
  /**
   * Bookkeeping fields the record lacked and normalisation filled in (trimming pipelines
   * drop them): the event is attributable, but these values are Vigil's, not the source's.
   */
  readonly defaulted?: readonly DefaultedField[];
  /**
   * `health` for a producer's operational message (Falco's event drops and internal
   * metrics, `source: internal`): routed as a health signal, never scored as an incident.
   */
  readonly signal?: 'health';
  /** The original record, unchanged, for evidence. */
  readonly raw: unknown;
}

/** Fields normalisation may default (see {@link SecurityEvent.defaulted}). */
export type DefaultedField = 'id' | 'level' | 'stage' | 'requestURI' | 'time';

export type EventFormat = 'k8s-audit' | 'falco' | 'ocsf';

/**
 * Cloud wrappers of Kubernetes audit logs (EKS CloudWatch Logs, AKS diagnostic
 * settings, GKE Cloud Logging) and Falcosidekick, which forwards Falco alerts adding a
 * `uuid`.
 */
export type EventOrigin =
  | 'eks-cloudwatch'
  | 'aks-diagnostics'
  | 'gke-cloud-logging'
  | 'falcosidekick';

export type OcsfClassUid = 1007 | 2004 | 4001 | 6003;

export interface EventActor {
  /** User name (`system:serviceaccount:ns:name`, `alice@example.com`, `system:anonymous`). */
  readonly user?: string;
  readonly groups?: readonly string[];
  readonly userAgent?: string;
  /**
   * Source address of the request, for API activity: only the address the API server
   * itself observed (the last entry of an audit event's `sourceIPs`, which is the
   * connection's remote address or the last proxy hop). Vigil acts on this one alone.
   */
  readonly sourceIp?: string;
  /**
   * Addresses the client claimed (the `X-Forwarded-For` / `X-Real-IP` entries before
   * the observed one). Client-controlled: shown as claimed, never acted on.
   */
  readonly claimedSourceIps?: readonly string[];
  /** The user a request impersonated (audit `impersonatedUser.username`). */
  readonly impersonatedUser?: string;
}

export interface EventNetwork {
  readonly srcIp?: string;
  readonly srcPort?: number;
  readonly dstIp?: string;
  readonly dstPort?: number;
  readonly protocol?: string;
  /** Bytes sent by the source / received from the destination (OCSF `traffic`), when the flow source reports them. */
  readonly bytesOut?: number;
  readonly bytesIn?: number;
}

export interface EventResource {
  /** Plural resource, e.g. `pods`, `secrets`, `clusterrolebindings`. */
  readonly type: string;
  readonly apiGroup?: string;
  readonly namespace?: string;
  readonly name?: string;
  /** e.g. `exec`, `log`, `token`. */
  readonly subresource?: string;
}

export interface EventWorkload {
  readonly namespace?: string;
  readonly pod?: string;
  readonly container?: string;
  readonly image?: string;
  readonly node?: string;
}

export interface EventProcess {
  readonly name?: string;
  readonly cmdline?: string;
  readonly parentName?: string;
  readonly user?: string;
}
