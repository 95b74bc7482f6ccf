import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import {
  createCertificateRequest,
  createPersonKey,
  signDecision,
  type Decision,
} from '@vigil/approval-signing';
import {
  OPS_API_SERVICE,
  describeTarget,
  listUsers,
  tokenFile,
  type ApprovalRow,
} from '@vigil/coordinator';
import { isVigilError, VigilError } from '@vigil/core';
import { issueUserCertificateForCsr, issueUserCredentials } from '@vigil/pki';
import { signApproval } from '@vigil/policy';
import { loadAgentSystem } from '@vigil/registry';
import { readServiceAddress, serviceAddressFile } from '@vigil/runtime';
import { isProcessAlive } from '@vigil/supervisor';
import { globalOptions, print, UsageError, type GlobalOptions } from '../context.js';

interface Session {
  readonly url: string;
  readonly token: string;
  readonly user: string;
  readonly trustDomain: string;
  readonly ttlSeconds: number;
}

/** Where the coordinator's API is and who we are: `--as <user>` (default admin) with its token. */
async function session(options: GlobalOptions, as: string, token?: string): Promise<Session> {
  // Any agent system's approvals API: the one its agents published in this state
  // directory (the SOC coordinator's, or another system's such as the credit-memo network).
  const system = await loadAgentSystem(options.config);
  let secret = token ?? process.env['VIGIL_TOKEN'];
  if (!secret) {
    try {
      secret = readFileSync(tokenFile(options.stateDir, as), 'utf8').trim();
    } catch {
      throw new UsageError(
        `no token for user "${as}": pass --token, set VIGIL_TOKEN, or run vigil up once (it creates the admin token)`,
      );
    }
  }
  return {
    url: opsApiUrl(options.stateDir),
    token: secret,
    user: as,
    trustDomain: system.trustDomain,
    ttlSeconds: system.policy.approvals.ttlSeconds,
  };
}

/**
 * The API of this state directory's own coordinator, from the address it published there
 * (never a fixed port: that could be another system's coordinator).
 */
function opsApiUrl(stateDir: string): string {
  const address = readServiceAddress(stateDir, OPS_API_SERVICE);
  if (!address || !isProcessAlive(address.pid)) {
    throw new VigilError(
      'VIGIL_API_UNREACHABLE',
      `no running coordinator API for state directory ${stateDir} (${serviceAddressFile(stateDir, OPS_API_SERVICE)} ${address ? `names pid ${address.pid}, which is not running` : 'is missing'}): is vigil up running with this state directory?`,
    );
  }
  return address.url;
}

async function call<T>(s: Session, method: string, path: string, body?: unknown): Promise<T> {
  let response: Response;
  try {
    response = await fetch(`${s.url}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${s.token}`,
        ...(body ? { 'content-type': 'application/json' } : {}),
      },
      ...(body ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(15_000),
    });
  } catch (cause) {
    throw new VigilError(
      'VIGIL_API_UNREACHABLE',
      `the coordinator API at ${s.url} is not reachable (is vigil up running?)`,
      { cause },
    );
  }
  const json = (await response.json()) as T & { code?: string; message?: string };
  if (!response.ok)
    throw new VigilError(json.code ?? 'VIGIL_API_ERROR', json.message ?? `HTTP ${response.status}`);
  return json;
}

/**
 * The decision signed here, by a key made for it in this process and never written
 * anywhere: the API certifies it for this user and role (a CSR, as the console's page
 * does), and the SOC's remediator accepts only such certificates. A coordinator that does
 * not hold the local CA (its container under `--runtime podman`) answers
 * `VIGIL_PKI_CA_MISSING`: this machine's CA then certifies the same CSR for the user's
 * role in the users file, the certificate the API would have given. An approvals API
 * without that route (another agent system's) gets the decision signed with a
 * certificate from this state directory's CA, as before — one the remediator refuses.
 */
async function signedDecision(
  s: Session,
  stateDir: string,
  decision: Decision & { readonly action: ApprovalRow['action'] },
): Promise<string> {
  const keys = await createPersonKey();
  const csr = await createCertificateRequest(keys, s.user);
  let certificate: string;
  try {
    ({ certificate } = await call<{ certificate: string }>(s, 'POST', '/v1/session/certificate', {
      csr,
    }));
  } catch (error) {
    if (isVigilError(error, 'VIGIL_PKI_CA_MISSING')) {
      const role = listUsers(stateDir).find((u) => u.id === s.user)?.role;
      if (role === undefined)
        throw new VigilError(
          'VIGIL_API_UNAUTHENTICATED',
          `no local user "${s.user}" in ${stateDir}`,
        );
      certificate = (
        await issueUserCertificateForCsr(stateDir, s.trustDomain, {
          userId: s.user,
          role,
          csrPem: csr,
        })
      ).certPem;
    } else if (isVigilError(error, 'VIGIL_API_NOT_FOUND')) {
      const creds = await issueUserCredentials(stateDir, s.trustDomain, s.user);
      return signApproval(
        { action: decision.action, decision: decision.decision, comment: decision.comment },
        { spiffeId: creds.spiffeId, privateKeyPem: creds.key, certPem: creds.cert },
        { ttlSeconds: decision.ttlSeconds },
      );
    } else throw error;
  }
  return signDecision(decision, { privateKey: keys.privateKey, certificatePem: certificate });
}

function line(a: ApprovalRow): string {
  const left = Math.max(0, Math.round((a.expiresAt - Date.now()) / 1000));
  return `${a.id}  ${a.status.padEnd(8)}  ${a.action.type} ${describeTarget(a.action.target)}  ${a.status === 'pending' ? `expires in ${left}s` : (a.decision?.by ?? '')}`;
}

/** `vigil approvals list | show | approve | reject`. */
export function registerApprovalsCommand(program: Command): void {
  const approvals = program
    .command('approvals')
    .description('human decisions on escalated actions');
  const who = (c: Command) =>
    c
      .option('--as <user>', 'the local user deciding (its token and identity)', 'admin')
      .option('--token <token>', 'API token (default: env VIGIL_TOKEN or the user token file)');

  who(
    approvals
      .command('list')
      .description('approval requests')
      .option('--status <status>', 'pending | approved | rejected | expired', 'pending'),
  ).action(async (opts: { as: string; token?: string; status: string }, cmd: Command) => {
    const options = globalOptions(cmd);
    const s = await session(options, opts.as, opts.token);
    const { approvals: rows } = await call<{ approvals: ApprovalRow[] }>(
      s,
      'GET',
      `/v1/approvals?status=${encodeURIComponent(opts.status)}`,
    );
    print(
      options,
      () => (rows.length ? rows.map(line).join('\n') : `no ${opts.status} approvals`),
      rows,
    );
  });

  who(
    approvals
      .command('show <id>')
      .description('one approval request with the verdict that escalated it'),
  ).action(async (id: string, opts: { as: string; token?: string }, cmd: Command) => {
    const options = globalOptions(cmd);
    const s = await session(options, opts.as, opts.token);
    const { approval } = await call<{ approval: ApprovalRow }>(
      s,
      'GET',
      `/v1/approvals/${encodeURIComponent(id)}`,
    );
    print(
      options,
      () =>
        [
          line(approval),
          `  incident:  ${approval.incidentId}`,
          `  action:    ${JSON.stringify(approval.action)}`,
          `  digest:    ${approval.actionDigest}`,
          `  verdict:   ${approval.review.decision} (confidence ${approval.review.confidence}, revision ${approval.review.revision.slice(0, 19)})`,
          ...approval.review.reasons.map((r) => `    - ${r}`),
          `  rules:     ${approval.review.rules.join(', ')}`,
        ].join('\n'),
      approval,
    );
  });

  for (const decision of ['approve', 'reject'] as const) {
    who(
      approvals
        .command(`${decision} <id>`)
        .description(
          `${decision} an escalated action (signed with your identity, bound to the exact action)`,
        )
        .requiredOption('--reason <text>', 'why (mandatory; audited)')
        .option(
          '--set <key=value...>',
          'edit a parameter before approving (the edited action is reviewed again)',
        ),
    ).action(
      async (
        id: string,
        opts: { as: string; token?: string; reason: string; set?: string[] },
        cmd: Command,
      ) => {
        const options = globalOptions(cmd);
        if (!opts.reason.trim()) throw new UsageError('--reason must not be empty');
        if (opts.set && decision === 'reject')
          throw new UsageError('--set only applies to approve');
        const s = await session(options, opts.as, opts.token);
        const { approval } = await call<{ approval: ApprovalRow }>(
          s,
          'GET',
          `/v1/approvals/${encodeURIComponent(id)}`,
        );
        const parameters = opts.set
          ? { ...approval.action.parameters, ...Object.fromEntries(opts.set.map(parseSetting)) }
          : undefined;
        const action = parameters ? { ...approval.action, parameters } : approval.action;
        const jws = await signedDecision(s, options.stateDir, {
          action,
          decision,
          comment: opts.reason,
          ttlSeconds: s.ttlSeconds,
        });
        const result = await call<{ approval: ApprovalRow }>(
          s,
          'POST',
          `/v1/approvals/${encodeURIComponent(id)}/${decision}`,
          { reason: opts.reason, approval: jws, ...(parameters ? { parameters } : {}) },
        );
        print(
          options,
          () => `${decision === 'approve' ? 'approved' : 'rejected'}: ${line(result.approval)}`,
          result.approval,
        );
      },
    );
  }
}

function parseSetting(text: string): [string, unknown] {
  const i = text.indexOf('=');
  if (i <= 0) throw new UsageError(`--set ${text}: expected key=value`);
  const raw = text.slice(i + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // a plain string
  }
  return [text.slice(0, i), value];
}
