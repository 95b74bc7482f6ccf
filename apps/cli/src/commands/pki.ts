import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import {
  agentCredentialPaths,
  ensureIdentities,
  inspectCertificate,
  pkiPaths,
  PkiError,
  PKI_ERROR_CODES,
  verifyCertificateChain,
  type IssuedIdentity,
} from '@vigil/pki';
import { loadAgentSystem, type AgentSystem } from '@vigil/registry';
import { globalOptions, print, UsageError } from '../context.js';

function validityOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const hours = Number(value);
  if (!Number.isFinite(hours) || hours <= 0) {
    throw new UsageError(`--validity-hours must be a positive number, got "${value}"`);
  }
  return hours;
}

function assertAgent(system: AgentSystem, name: string): void {
  if (!system.agents.some((agent) => agent.name === name)) {
    throw new UsageError(
      `unknown agent "${name}" (agents: ${system.agents.map((agent) => agent.name).join(', ')})`,
    );
  }
}

function remaining(notAfter: Date, now = new Date()): string {
  const ms = notAfter.getTime() - now.getTime();
  if (ms <= 0) return 'expired';
  const hours = Math.floor(ms / 3_600_000);
  const minutes = Math.floor((ms % 3_600_000) / 60_000);
  return hours >= 48
    ? `${Math.floor(hours / 24)}d`
    : `${hours}h${String(minutes).padStart(2, '0')}m`;
}

function identitiesTable(identities: readonly IssuedIdentity[]): string {
  const rows = [
    ['AGENT', 'SPIFFE ID', 'NOT AFTER', 'LEFT', 'ACTION'],
    ...identities.map((id) => [
      id.agentName,
      id.spiffeId,
      id.notAfter.toISOString(),
      remaining(id.notAfter),
      id.issued ? `issued (${id.reason ?? 'requested'})` : 'kept',
    ]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

function identitiesJson(identities: readonly IssuedIdentity[]): unknown[] {
  return identities.map((id) => ({
    agent: id.agentName,
    spiffeId: id.spiffeId,
    certPath: id.certPath,
    notBefore: id.notBefore.toISOString(),
    notAfter: id.notAfter.toISOString(),
    fingerprintSha256: id.fingerprintSha256,
    issued: id.issued,
    ...(id.reason === undefined ? {} : { reason: id.reason }),
  }));
}

/** `vigil pki init | inspect <agent> | rotate [agent]`: the local CA and agent identities. */
export function registerPkiCommand(program: Command): void {
  const pki = program
    .command('pki')
    .description('local certificate authority and agent identities (SPIFFE X.509)');

  pki
    .command('init')
    .description(
      'create the CA if missing and issue every agent a certificate (renews those past 2/3 of their life)',
    )
    .option('--validity-hours <hours>', 'validity of newly issued leaf certificates (default 24)')
    .action(async (opts: { validityHours?: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const system = await loadAgentSystem(options.config);
      const validityHours = validityOption(opts.validityHours);
      const identities = await ensureIdentities(options.stateDir, system, {
        ...(validityHours === undefined ? {} : { validityHours }),
      });
      const paths = pkiPaths(options.stateDir);
      print(
        options,
        () =>
          `CA ${paths.caCert} (trust domain ${system.trustDomain})\n${identitiesTable(identities)}`,
        {
          ca: paths.caCert,
          trustDomain: system.trustDomain,
          identities: identitiesJson(identities),
        },
      );
    });

  pki
    .command('inspect')
    .description(
      'show an agent certificate: subject, SPIFFE ID, issuer, validity, SHA-256 fingerprint',
    )
    .argument('<agent>', 'agent name, or "ca" for the CA certificate')
    .action(async (agent: string, _opts: unknown, cmd: Command) => {
      const options = globalOptions(cmd);
      const paths = pkiPaths(options.stateDir);
      if (agent !== 'ca') assertAgent(await loadAgentSystem(options.config), agent);
      const certPath =
        agent === 'ca' ? paths.caCert : agentCredentialPaths(options.stateDir, agent).cert;
      const [pem, caPem] = await Promise.all([
        readFile(certPath, 'utf8').catch(() => undefined),
        readFile(paths.caCert, 'utf8').catch(() => undefined),
      ]);
      if (pem === undefined || caPem === undefined) {
        throw new PkiError(
          pem === undefined ? PKI_ERROR_CODES.IDENTITY_MISSING : PKI_ERROR_CODES.CA_MISSING,
          `no certificate at ${pem === undefined ? certPath : paths.caCert}; run "vigil pki init"`,
        );
      }
      const info = inspectCertificate(pem);
      const chain = agent === 'ca' ? undefined : verifyCertificateChain(pem, caPem);
      const status =
        chain === undefined ? 'CA' : chain.ok ? 'valid' : `${chain.code}: ${chain.reason}`;
      print(
        options,
        () =>
          [
            `certificate  ${certPath}`,
            `subject      ${info.subject}`,
            `SPIFFE ID    ${info.spiffeId ?? '-'}`,
            `issuer       ${info.issuer}`,
            `serial       ${info.serialNumber}`,
            `not before   ${info.notBefore.toISOString()}`,
            `not after    ${info.notAfter.toISOString()} (${remaining(info.notAfter)} left)`,
            `SHA-256      ${info.fingerprintSha256}`,
            `key usage    ${info.isCa ? 'CA' : info.extendedKeyUsages.map((oid) => EKU_NAMES[oid] ?? oid).join(', ')}`,
            `status       ${status}`,
          ].join('\n'),
        {
          agent,
          certPath,
          subject: info.subject,
          spiffeId: info.spiffeId ?? null,
          issuer: info.issuer,
          serialNumber: info.serialNumber,
          notBefore: info.notBefore.toISOString(),
          notAfter: info.notAfter.toISOString(),
          fingerprintSha256: info.fingerprintSha256,
          isCa: info.isCa,
          extendedKeyUsages: info.extendedKeyUsages,
          chain:
            chain === undefined
              ? null
              : chain.ok
                ? { ok: true }
                : { ok: false, code: chain.code, reason: chain.reason },
        },
      );
    });

  pki
    .command('rotate')
    .description(
      'issue new certificates now (one agent, or all); running agents reload them without restarting',
    )
    .argument('[agent]', 'agent name (default: every agent)')
    .option('--validity-hours <hours>', 'validity of the new certificates (default 24)')
    .action(async (agent: string | undefined, opts: { validityHours?: string }, cmd: Command) => {
      const options = globalOptions(cmd);
      const system = await loadAgentSystem(options.config);
      if (agent !== undefined) assertAgent(system, agent);
      const validityHours = validityOption(opts.validityHours);
      const identities = await ensureIdentities(options.stateDir, system, {
        force: true,
        ...(agent === undefined ? {} : { agents: [agent] }),
        ...(validityHours === undefined ? {} : { validityHours }),
      });
      print(options, () => identitiesTable(identities), { identities: identitiesJson(identities) });
    });
}

const EKU_NAMES: Record<string, string> = {
  '1.3.6.1.5.5.7.3.1': 'serverAuth',
  '1.3.6.1.5.5.7.3.2': 'clientAuth',
};
