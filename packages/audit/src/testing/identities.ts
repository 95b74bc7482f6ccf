// Test identities: a CA and SPIFFE leaf certificates made with the openssl CLI, so the
// audit tests do not depend on @vigil/pki being finished. Same shape as pki issues:
// ECDSA P-256 keys (PKCS#8 PEM), leaf certificates with a spiffe:// URI SAN.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditSigner } from '../signing.js';

export interface TestCa {
  readonly caPem: string;
  issue(spiffeId: string, options?: { days?: number; notBefore?: string }): AuditSigner;
  dispose(): void;
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

/** Creates a throw-away CA in a temp dir. */
export function createTestCa(name = 'Vigil Test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-audit-ca-'));
  openssl(
    ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'ca.key'],
    dir,
  );
  openssl(
    [
      'req',
      '-x509',
      '-new',
      '-key',
      'ca.key',
      '-subj',
      `/CN=${name}`,
      '-days',
      '2',
      '-out',
      'ca.crt',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ],
    dir,
  );
  let n = 0;
  return {
    caPem: readFileSync(join(dir, 'ca.crt'), 'utf8'),
    issue(spiffeId, options = {}) {
      n++;
      openssl(
        ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `l${n}.key`],
        dir,
      );
      openssl(
        ['req', '-new', '-key', `l${n}.key`, '-subj', `/O=vigil/CN=${n}`, '-out', `l${n}.csr`],
        dir,
      );
      writeFileSync(
        join(dir, `l${n}.ext`),
        `subjectAltName=URI:${spiffeId}\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n`,
      );
      const validity =
        options.notBefore !== undefined
          ? ['-not_before', options.notBefore, '-not_after', '20991231000000Z']
          : ['-days', String(options.days ?? 1)];
      openssl(
        [
          'x509',
          '-req',
          '-in',
          `l${n}.csr`,
          '-CA',
          'ca.crt',
          '-CAkey',
          'ca.key',
          '-CAcreateserial',
          ...validity,
          '-extfile',
          `l${n}.ext`,
          '-out',
          `l${n}.crt`,
        ],
        dir,
      );
      return {
        id: spiffeId,
        privateKeyPem: readFileSync(join(dir, `l${n}.key`), 'utf8'),
        certPem: readFileSync(join(dir, `l${n}.crt`), 'utf8'),
      };
    },
    dispose() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
