/**
 * The ops API serving the built console with OIDC sign-in configured against a real
 * provider (`startIdentityProvider`), on loopback, for browser tests: a local CA for the
 * certificate route, an empty incident store, and a provider whose accounts the test
 * declares. Everything closes in `t.after`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { ensureCertificateAuthority } from '@vigil/pki';
import { IncidentStore } from '../incident-store.js';
import { OidcLogin } from '../ops-api/oidc-login.js';
import { oidcSettingsSchema } from '../ops-api/oidc-settings.js';
import { OIDC_CALLBACK_PATH } from '../ops-api/routes-oidc.js';
import { startOpsApi } from '../ops-api/server.js';
import {
  startIdentityProvider,
  type TestAccount,
  type TestIdentityProvider,
} from './oidc-provider.js';

export { startIdentityProvider, type TestAccount, type TestIdentityProvider };

export interface OidcConsole {
  /** The console's (and API's) origin. */
  readonly url: string;
  readonly idp: TestIdentityProvider;
  /** The name on the button: "Sign in with <name>". */
  readonly name: string;
}

/** Starts the provider and the console; `roles` maps claim values of `groups` to roles. */
export async function startOidcConsole(
  t: TestContext,
  accounts: readonly TestAccount[],
  roles: { viewer?: string[]; analyst?: string[]; admin?: string[] },
): Promise<OidcConsole> {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-oidc-console-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  await ensureCertificateAuthority(dir, 'soc.test');
  const idp = await startIdentityProvider(t, accounts);
  const name = 'Corp SSO';
  const settings = oidcSettingsSchema.parse({
    name,
    issuer: idp.issuer,
    clientId: idp.clientId,
    clientSecretEnv: 'VIGIL_TEST_OIDC_SECRET',
    scopes: ['openid', 'email', 'groups'],
    roles,
  });
  const store = new IncidentStore(join(dir, 'coordinator.sqlite'));
  const api = await startOpsApi({
    coordinator: {
      summary: async () => undefined,
      decide: async () => {
        throw new Error('no decisions in this test');
      },
    },
    store,
    stateDir: dir,
    trustDomain: 'soc.test',
    oidc: new OidcLogin(settings, { VIGIL_TEST_OIDC_SECRET: idp.clientSecret }),
    port: 0,
  });
  t.after(async () => {
    await api.close();
    store.close();
  });
  // The default redirect: this console's origin (the provider is asked nothing before this).
  idp.allowRedirect(`${api.url}${OIDC_CALLBACK_PATH}`);
  return { url: api.url, idp, name };
}
