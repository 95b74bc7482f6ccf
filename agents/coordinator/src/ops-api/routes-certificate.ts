import { z } from 'zod';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { issueUserCertificateForCsr, MAX_USER_CERTIFICATE_SECONDS } from '@vigil/pki';
import { userOf } from './access.js';
import { ERROR_RESPONSES } from './routes-core.js';

export interface CertificateRouteDeps {
  readonly stateDir: string;
  readonly trustDomain: string;
}

/**
 * `POST /v1/session/certificate`: a short-lived certificate for the caller's own key. The
 * caller (signed in, or a CLI token) sends a CSR made by a key it holds; the certificate
 * names the authenticated user (`spiffe://<td>/user/<id>`) and their current role, never
 * what the CSR asks for, and lives at most an hour and never past the session.
 */
export function registerCertificateRoutes(
  app: FastifyInstance,
  deps: () => CertificateRouteDeps,
): void {
  app.withTypeProvider<ZodTypeProvider>().post(
    '/v1/session/certificate',
    {
      config: { access: 'viewer' },
      schema: {
        summary: "Certify the signed-in person's own key (PKCS#10 CSR) for signing decisions",
        tags: ['session'],
        body: z
          .strictObject({
            csr: z
              .string()
              .min(1)
              .max(8192)
              .describe('PEM PKCS#10 request signed by an ECDSA P-256 key the caller holds'),
          })
          .meta({ id: 'CertificateRequest' }),
        response: {
          200: z
            .object({
              certificate: z.string().describe('PEM; put it in the decision JWS `x5c`.'),
              ca: z.string().describe('PEM trust bundle that verifies it.'),
              spiffeId: z.string(),
              role: z.string(),
              notAfter: z
                .number()
                .describe('Epoch ms when the certificate expires; ask again before it.'),
            })
            .meta({ id: 'PersonCertificate' }),
          ...ERROR_RESPONSES,
        },
      },
    },
    async (request) => {
      const user = userOf(request);
      const caller = request.caller!;
      const sessionLeft =
        caller.by === 'session'
          ? Math.floor((caller.session.expiresAt - Date.now()) / 1000)
          : MAX_USER_CERTIFICATE_SECONDS;
      const { stateDir, trustDomain } = deps();
      const issued = await issueUserCertificateForCsr(stateDir, trustDomain, {
        userId: user.id,
        role: user.role,
        csrPem: request.body.csr,
        validitySeconds: Math.max(1, Math.min(sessionLeft, MAX_USER_CERTIFICATE_SECONDS)),
      });
      return {
        certificate: issued.certPem,
        ca: issued.caPem,
        spiffeId: issued.spiffeId,
        role: issued.role,
        notAfter: issued.notAfter.getTime(),
      };
    },
  );
}
