/**
 * A real OpenID Connect provider for tests: panva's `oidc-provider` (the certified
 * implementation) on 127.0.0.1, with one confidential client, accounts the test
 * declares, and an interaction step that signs in whichever account the test chose
 * (the part a person types at a real provider) and grants the requested scopes.
 * Discovery, the authorization endpoint, PKCE, codes, ID tokens, userinfo and the
 * token endpoint are the provider's own.
 */
import { generateKeyPairSync } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { TestContext } from 'node:test';
import Provider, { type Configuration } from 'oidc-provider';

export interface TestAccount {
  readonly sub: string;
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface TestIdentityProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  /** The account the next interaction signs in (what the person would type). */
  signInAs(sub: string): void;
  /** Registers a redirect URI of the client (before the first request to the provider). */
  allowRedirect(uri: string): void;
}

/** Starts the provider; closed in `t.after`. Claims are released for the `profile`, `email` and `groups` scopes. */
export async function startIdentityProvider(
  t: TestContext,
  accounts: readonly TestAccount[],
): Promise<TestIdentityProvider> {
  const server = createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const clientId = 'vigil-console';
  const clientSecret = 'a-client-secret-only-this-test-knows';
  const redirects: string[] = [];
  let next: string | undefined;

  const configuration: Configuration = {
    clients: [
      {
        client_id: clientId,
        client_secret: clientSecret,
        redirect_uris: redirects,
        grant_types: ['authorization_code'],
        response_types: ['code'],
      },
    ],
    pkce: { required: () => true },
    scopes: ['openid', 'profile', 'email', 'groups'],
    claims: {
      openid: ['sub'],
      profile: ['name', 'preferred_username'],
      email: ['email', 'email_verified'],
      groups: ['groups'],
    },
    findAccount: (_ctx, sub) => {
      const account = accounts.find((a) => a.sub === sub);
      return account && { accountId: sub, claims: () => ({ ...account.claims, sub }) };
    },
    interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
    features: { devInteractions: { enabled: false } },
    cookies: { keys: ['test-cookie-key'] },
    jwks: {
      keys: [
        generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ format: 'jwk' }),
      ],
    },
    ttl: {
      AuthorizationCode: 60,
      Interaction: 600,
      Session: 3_600,
      Grant: 3_600,
      AccessToken: 600,
      IdToken: 600,
    },
  };
  // Made at the first request, so the redirect URIs registered until then are the client's.
  let made: { provider: Provider; callback: ReturnType<Provider['callback']> } | undefined;
  const make = () => {
    if (!made) {
      const provider = new Provider(issuer, configuration);
      made = { provider, callback: provider.callback() };
    }
    return made;
  };

  /** The person at the provider: signs in as the chosen account, then consents to what was asked. */
  async function interact(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { provider } = make();
    const details = await provider.interactionDetails(req, res);
    if (details.prompt.name === 'login') {
      if (!next) throw new Error('the test chose no account to sign in');
      await provider.interactionFinished(
        req,
        res,
        { login: { accountId: next } },
        { mergeWithLastSubmission: false },
      );
      return;
    }
    const grant = new provider.Grant({
      accountId: details.session!.accountId,
      clientId: String(details.params['client_id']),
    });
    grant.addOIDCScope(String(details.params['scope']));
    await provider.interactionFinished(
      req,
      res,
      { consent: { grantId: await grant.save() } },
      { mergeWithLastSubmission: true },
    );
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    if (req.url?.startsWith('/interaction/'))
      interact(req, res).catch((error: unknown) => {
        res.statusCode = 500;
        res.end(String(error));
      });
    else void make().callback(req, res);
  }
  return {
    issuer,
    clientId,
    clientSecret,
    signInAs: (sub) => void (next = sub),
    allowRedirect: (uri) => void redirects.push(uri),
  };
}
