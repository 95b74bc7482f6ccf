import * as oidc from 'openid-client';
import { z } from 'zod';
import type { Role } from '../users.js';
import { ApiError } from './errors.js';
import {
  mapClaims,
  oidcUserId,
  readClientSecret,
  type Claims,
  type OidcSettings,
} from './oidc-settings.js';

/** How long a browser has between leaving for the provider and coming back. */
export const OIDC_LOGIN_TTL_MS = 10 * 60_000;

/**
 * The browser's half of a sign-in in progress (kept in its `vigil_oidc` cookie, so the
 * callback may reach any coordinator replica). It holds nothing that helps anyone else:
 * the code is bound to the PKCE verifier at the provider, the ID token to the nonce, and
 * changing the cookie can only break this browser's own sign-in.
 */
const pendingSchema = z.strictObject({
  state: z.string().min(1),
  nonce: z.string().min(1),
  verifier: z.string().min(1),
  redirectUri: z.url(),
  expiresAt: z.number(),
});
export type PendingLogin = z.infer<typeof pendingSchema>;

export function encodePending(pending: PendingLogin): string {
  return Buffer.from(JSON.stringify(pending)).toString('base64url');
}

/** The pending sign-in of a cookie value, or undefined when absent, malformed or stale. */
export function decodePending(value: string | undefined, now: number): PendingLogin | undefined {
  if (!value) return undefined;
  try {
    const parsed = pendingSchema.safeParse(
      JSON.parse(Buffer.from(value, 'base64url').toString('utf8')),
    );
    return parsed.success && parsed.data.expiresAt > now ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Who signed in through the provider, and the role their claims map to. */
export interface OidcIdentity {
  readonly userId: string;
  readonly subject: string;
  readonly role: Role;
}

/**
 * Console sign-in with an OpenID Connect provider through openid-client: discovery
 * (lazily, retried after a failure, so a provider that is down does not stop the
 * coordinator), the authorization code flow with PKCE (S256), state and nonce, ID token
 * validation, userinfo, and the claim → role mapping of the settings.
 */
export class OidcLogin {
  private configuration: Promise<oidc.Configuration> | undefined;

  constructor(
    readonly settings: OidcSettings,
    private readonly env: Readonly<Record<string, string | undefined>> = process.env,
  ) {}

  /** Where to send the browser, and what its cookie must keep until it returns. */
  async begin(redirectUri: string, now: number): Promise<{ url: URL; pending: PendingLogin }> {
    const config = await this.discover();
    const pending: PendingLogin = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      verifier: oidc.randomPKCECodeVerifier(),
      redirectUri,
      expiresAt: now + OIDC_LOGIN_TTL_MS,
    };
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: this.settings.scopes.join(' '),
      code_challenge: await oidc.calculatePKCECodeChallenge(pending.verifier),
      code_challenge_method: 'S256',
      state: pending.state,
      nonce: pending.nonce,
    });
    return { url, pending };
  }

  /**
   * Completes a sign-in from the provider's redirect (`query`: its parameters).
   * @throws ApiError `oidcState` (no sign-in in progress here, or a state or nonce that is
   * not this browser's), `oidcRefused` (the provider refused: an error in the redirect, an
   * expired or reused code, an invalid ID token), `oidcNotAllowed` (claims map to no role,
   * or the person is not on the allow-lists), `oidcUnavailable`.
   */
  async complete(
    query: Readonly<Record<string, string>>,
    pending: PendingLogin | undefined,
  ): Promise<OidcIdentity> {
    const name = this.settings.name;
    if (!pending)
      throw new ApiError(
        'oidcState',
        `no sign-in with ${name} is in progress in this browser (or it took longer than ${OIDC_LOGIN_TTL_MS / 60_000} minutes): start again`,
      );
    if (query['error'])
      throw new ApiError(
        'oidcRefused',
        `${name} refused the sign-in: ${query['error']}${query['error_description'] ? ` (${query['error_description']})` : ''}`,
      );
    if (query['state'] !== pending.state)
      throw new ApiError(
        'oidcState',
        `the state ${name} sent back is not the one this browser's sign-in sent: a forged, replayed or crossed callback`,
      );
    const config = await this.discover();
    const current = new URL(pending.redirectUri);
    for (const [key, value] of Object.entries(query)) current.searchParams.set(key, value);
    let tokens: Awaited<ReturnType<typeof oidc.authorizationCodeGrant>>;
    try {
      tokens = await oidc.authorizationCodeGrant(config, current, {
        pkceCodeVerifier: pending.verifier,
        expectedState: pending.state,
        expectedNonce: pending.nonce,
        idTokenExpected: true,
      });
    } catch (error) {
      throw refusal(error, name);
    }
    const idClaims = tokens.claims() as Claims | undefined;
    const subject = typeof idClaims?.['sub'] === 'string' ? idClaims['sub'] : undefined;
    if (!idClaims || !subject)
      throw new ApiError('oidcRefused', `${name} answered without an ID token subject`);
    const claims = { ...(await this.userInfo(config, tokens.access_token, subject)), ...idClaims };
    const mapped = mapClaims(claims, this.settings);
    if (!mapped.ok) throw new ApiError('oidcNotAllowed', mapped.reason);
    return { userId: oidcUserId(subject), subject, role: mapped.role };
  }

  /** Userinfo claims (the provider may keep groups there rather than in the ID token). */
  private async userInfo(
    config: oidc.Configuration,
    accessToken: string,
    subject: string,
  ): Promise<Claims> {
    if (!config.serverMetadata().userinfo_endpoint) return {};
    try {
      return (await oidc.fetchUserInfo(config, accessToken, subject)) as Claims;
    } catch (error) {
      throw refusal(error, this.settings.name);
    }
  }

  private discover(): Promise<oidc.Configuration> {
    this.configuration ??= (async () => {
      const issuer = new URL(this.settings.issuer);
      try {
        return await oidc.discovery(
          issuer,
          this.settings.clientId,
          readClientSecret(this.settings, this.env),
          undefined,
          // Plain http is accepted by the settings only on loopback.
          issuer.protocol === 'http:' ? { execute: [oidc.allowInsecureRequests] } : undefined,
        );
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'VIGIL_CONFIG_OIDC_SECRET')
          throw new ApiError('oidcUnavailable', error.message);
        throw new ApiError(
          'oidcUnavailable',
          `cannot reach ${this.settings.name} at ${this.settings.issuer}: ${(error as Error).message}`,
        );
      }
    })();
    // A failed discovery is tried again by the next sign-in.
    this.configuration.catch(() => (this.configuration = undefined));
    return this.configuration;
  }
}

/** The API error for a failure of the code exchange or the token checks (no secret in it). */
function refusal(error: unknown, name: string): ApiError {
  if (error instanceof oidc.ResponseBodyError)
    return new ApiError(
      'oidcRefused',
      `${name} refused the code: ${error.error}${error.error_description ? ` (${error.error_description})` : ''}`,
    );
  // openid-client wraps oauth4webapi's error, whose own message names the check that failed.
  const inner = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const message = inner instanceof Error ? inner.message : String(inner);
  if (/"nonce"/.test(message))
    return new ApiError(
      'oidcState',
      `the ID token's nonce is not the one this browser's sign-in sent: a replayed or injected token`,
    );
  return new ApiError('oidcRefused', `the answer of ${name} failed validation: ${message}`);
}
