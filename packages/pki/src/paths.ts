import { join } from 'node:path';

/** Where the PKI lives under a state directory (contract: `<stateDir>/pki/…`). */
export interface PkiPaths {
  readonly dir: string;
  readonly caCert: string;
  readonly caKey: string;
  readonly agentsDir: string;
}

/** The PKI file layout under `stateDir`. */
export function pkiPaths(stateDir: string): PkiPaths {
  const dir = join(stateDir, 'pki');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    caKey: join(dir, 'ca.key'),
    agentsDir: join(dir, 'agents'),
  };
}

/** `<stateDir>/pki/agents/<name>.crt` and `.key`. */
export function agentCredentialPaths(
  stateDir: string,
  agentName: string,
): { cert: string; key: string } {
  const { agentsDir } = pkiPaths(stateDir);
  return { cert: join(agentsDir, `${agentName}.crt`), key: join(agentsDir, `${agentName}.key`) };
}
