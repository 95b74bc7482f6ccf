import {
  openAgentAuditWriter,
  type AgentAuditWriter,
  type AgentIdentity,
  type AuditEntry,
} from '@vigil/audit';
import {
  DEFAULT_LEAF_VALIDITY_HOURS,
  DEFAULT_RENEW_AFTER_FRACTION,
  issueLeafCertificate,
  readCertificateAuthority,
} from '@vigil/pki';
import { spiffeIdOf, type AgentSystem } from '@vigil/registry';
import { SUPERVISOR_ERROR_CODES, SupervisorError } from './errors.js';

/** `spiffe://<trustDomain>/supervisor`: the identity the supervisor writes its audit chain with. */
export function supervisorSpiffeId(trustDomain: string): string {
  return `spiffe://${trustDomain}/supervisor`;
}

/**
 * What happened to a replica, as `what.event` of an `agent-lifecycle` entry. Entries
 * whose event the supervisor acts on (`killing`, `restart-scheduled`, `stopping`) are
 * durable before the action; the others record what was observed.
 */
export type LifecycleEventName =
  | 'started'
  | 'ready'
  | 'exited'
  | 'restart-scheduled'
  | 'failed'
  | 'memory-over-limit'
  | 'killing'
  | 'stopping'
  | 'stopped';

/** One lifecycle observation of one replica. */
export interface LifecycleRecord {
  readonly event: LifecycleEventName;
  readonly agent: string;
  readonly replica: number;
  readonly pid: number | null;
  /** Event-specific facts: exit code and signal, back-off delay, resident bytes, error code. */
  readonly details?: Readonly<Record<string, string | number | boolean | null>>;
  /** Why the supervisor did or saw it (the restart policy, the probe, the watchdog). */
  readonly rationale: string;
}

/** The supervisor's audit chain: `agent-lifecycle` entries signed by its own identity. */
export interface LifecycleAudit {
  readonly spiffeId: string;
  /** Appends one entry; resolves once it is durable. */
  record(entry: LifecycleRecord): Promise<AuditEntry>;
  /** Issues a fresh identity when the current one is past its renewal point. */
  renewIdentityIfDue(now?: Date): Promise<void>;
  /** Waits for pending entries, writes the final signed checkpoint and closes the store. */
  close(): Promise<void>;
}

interface IssuedSupervisorIdentity extends AgentIdentity {
  readonly renewAt: number;
}

async function issueSupervisorIdentity(
  stateDir: string,
  trustDomain: string,
  validityHours: number,
  renewAfterFraction: number,
  now: Date,
): Promise<IssuedSupervisorIdentity> {
  const ca = await readCertificateAuthority(stateDir);
  if (ca === undefined) {
    throw new SupervisorError(
      SUPERVISOR_ERROR_CODES.AUDIT,
      `no CA in ${stateDir}/pki to issue the supervisor identity`,
    );
  }
  const spiffeId = supervisorSpiffeId(trustDomain);
  const lifetimeMs = validityHours * 3_600_000;
  // Kept in memory only: the supervisor process already holds the CA key, so a key file
  // would add an attack surface without adding a capability.
  const leaf = await issueLeafCertificate(ca, {
    spiffeId,
    commonName: 'supervisor',
    now,
    notAfter: new Date(now.getTime() + lifetimeMs),
  });
  return {
    spiffeId,
    cert: leaf.certPem,
    key: leaf.keyPem,
    renewAt: now.getTime() + lifetimeMs * renewAfterFraction,
  };
}

/**
 * Opens the declared audit store with a writer chain of the supervisor's own identity
 * (`spiffe://<td>/supervisor`, a short-lived leaf of the local CA, renewed like agent
 * leaves). Every entry is `kind: 'agent-lifecycle'` with `what.agent` naming the replica's
 * agent: the health signal of five-signal coverage.
 *
 * @throws SupervisorError `VIGIL_SUPERVISOR_AUDIT` when there is no CA or the store
 *   cannot be opened.
 */
export async function openLifecycleAudit(options: {
  readonly system: AgentSystem;
  readonly stateDir: string;
  readonly identities?: { readonly validityHours?: number; readonly renewAfterFraction?: number };
}): Promise<LifecycleAudit> {
  const { system, stateDir } = options;
  const validityHours = options.identities?.validityHours ?? DEFAULT_LEAF_VALIDITY_HOURS;
  const renewAfter = options.identities?.renewAfterFraction ?? DEFAULT_RENEW_AFTER_FRACTION;
  let identity = await issueSupervisorIdentity(
    stateDir,
    system.trustDomain,
    validityHours,
    renewAfter,
    new Date(),
  );
  let audit: AgentAuditWriter;
  try {
    audit = await openAgentAuditWriter({
      storage: system.storage.audit,
      stateDir,
      identity: () => identity,
    });
  } catch (cause) {
    throw new SupervisorError(
      SUPERVISOR_ERROR_CODES.AUDIT,
      `cannot open the audit store for lifecycle entries: ${(cause as Error).message}`,
      { cause },
    );
  }
  const spiffeId = identity.spiffeId;
  return {
    spiffeId,
    record(entry) {
      return audit.writer.append({
        kind: 'agent-lifecycle',
        actor: spiffeId,
        what: {
          event: entry.event,
          agent: entry.agent,
          agentSpiffeId: spiffeIdOf(system, entry.agent),
          replica: entry.replica,
          pid: entry.pid,
          ...(entry.details ?? {}),
        },
        why: { rationale: entry.rationale },
      });
    },
    async renewIdentityIfDue(now = new Date()) {
      if (now.getTime() < identity.renewAt) return;
      identity = await issueSupervisorIdentity(
        stateDir,
        system.trustDomain,
        validityHours,
        renewAfter,
        now,
      );
    },
    close: () => audit.close(),
  };
}
