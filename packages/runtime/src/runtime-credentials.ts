import { watch, type FSWatcher } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from '@vigil/core';
import {
  CREDENTIAL_DIRECTORY_FILES,
  inspectCertificate,
  loadAgentCredentials,
  loadCredentialDirectory,
  type AgentCredentials,
} from '@vigil/pki';
import type { CertificateSummary } from './ipc.js';

/** Where an agent's credentials come from. */
export interface CredentialSource {
  readonly stateDir: string;
  readonly agentName: string;
  /** A mounted cert-manager Secret (`tls.crt`, `tls.key`, `ca.crt`) instead of the state directory's PKI. */
  readonly tlsDir?: string;
  readonly logger: Logger;
}

/** An agent's current credentials, reloaded in place on rotation. */
export interface CredentialKeeper {
  /** The loaded credentials. @throws Error before `load()` resolved. */
  current(): AgentCredentials;
  /** The certificate served now; undefined before `load()`. */
  certificate(): CertificateSummary | undefined;
  /** Reads the credentials for the first time. */
  load(): Promise<CertificateSummary>;
  /**
   * Re-reads them and, when the certificate changed, hands them to `apply` (the TLS
   * server) before they become current. One reload at a time: a burst collapses into one.
   * @throws when the files cannot be read or `apply` refuses them; the old ones stay.
   */
  reload(apply: (next: AgentCredentials) => Promise<void>): Promise<CertificateSummary>;
  /**
   * Reloads when the certificate or key files change (after the burst of a writer ends);
   * a failed reload is logged and the current credentials kept. Best effort: a directory
   * that cannot be watched is logged (rotation then relies on IPC reload).
   */
  watch(apply: (next: AgentCredentials) => Promise<void>): void;
  /** Stops watching. */
  close(): void;
}

/** The certificate's expiry and fingerprint, as status and IPC report them. */
export function summarizeCertificate(credentials: AgentCredentials): CertificateSummary {
  const info = inspectCertificate(credentials.cert);
  return {
    notAfter: new Date(info.notAfter).toISOString(),
    fingerprintSha256: info.fingerprintSha256,
  };
}

/** Creates the credential keeper of one agent process. */
export function createCredentialKeeper(source: CredentialSource): CredentialKeeper {
  const { stateDir, agentName, tlsDir, logger } = source;
  let credentials: AgentCredentials | undefined;
  let certificate: CertificateSummary | undefined;
  let reloading: Promise<CertificateSummary> | undefined;
  let watcher: FSWatcher | undefined;
  const read = (): Promise<AgentCredentials> =>
    tlsDir === undefined
      ? loadAgentCredentials(stateDir, agentName)
      : loadCredentialDirectory(tlsDir);

  const keeper: CredentialKeeper = {
    current(): AgentCredentials {
      if (credentials === undefined) throw new Error('credentials not loaded yet');
      return credentials;
    },
    certificate: () => certificate,
    async load(): Promise<CertificateSummary> {
      credentials = await read();
      certificate = summarizeCertificate(credentials);
      return certificate;
    },
    reload(apply): Promise<CertificateSummary> {
      reloading ??= (async () => {
        try {
          const next = await read();
          const summary = summarizeCertificate(next);
          if (
            certificate !== undefined &&
            summary.fingerprintSha256 === certificate.fingerprintSha256
          )
            return certificate;
          await apply(next);
          credentials = next;
          certificate = summary;
          logger.info({ certificate: summary }, 'credentials reloaded');
          return summary;
        } finally {
          reloading = undefined;
        }
      })();
      return reloading;
    },
    watch(apply): void {
      let timer: NodeJS.Timeout | undefined;
      // A Secret volume is updated atomically: the kubelet writes a new timestamped directory
      // and renames the `..data` symlink over the old one, so the event names `..data`, not
      // the files (which are symlinks through it).
      const files =
        tlsDir === undefined
          ? new Set([`${agentName}.crt`, `${agentName}.key`])
          : new Set([CREDENTIAL_DIRECTORY_FILES.cert, CREDENTIAL_DIRECTORY_FILES.key, '..data']);
      try {
        watcher = watch(tlsDir ?? join(stateDir, 'pki', 'agents'), (_event, filename) => {
          if (filename === null || !files.has(filename.toString())) return;
          // Writers replace cert and key one after the other: wait for the burst to end.
          clearTimeout(timer);
          timer = setTimeout(() => {
            keeper
              .reload(apply)
              .catch((error: unknown) =>
                logger.warn(
                  { err: error },
                  'credential files changed but could not be loaded; keeping the current ones',
                ),
              );
          }, 200);
          timer.unref();
        });
        watcher.unref();
      } catch (error) {
        logger.warn({ err: error }, 'cannot watch credential files; rotation relies on IPC reload');
      }
    },
    close: () => watcher?.close(),
  };
  return keeper;
}
