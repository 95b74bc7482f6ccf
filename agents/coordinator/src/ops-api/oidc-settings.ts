import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { VigilError } from '@vigil/core';
import { OIDC_USER_PREFIX, ROLES, type Role } from '../users.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** An https URL, or http on loopback only (a test or a local identity provider). */
const issuerUrl = z.url().refine(
  (value) => {
    const url = new URL(value);
    return url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK.has(url.hostname));
  },
  { message: 'must be https (plain http only on 127.0.0.1, localhost or [::1])' },
);

const values = z.array(z.string().min(1)).default([]);

/**
 * `agents[coordinator].settings.console.oidc` in vigil.yaml: sign-in to the console with
 * an OpenID Connect provider (authorization code flow with PKCE, state and nonce). The
 * client secret is never written here: `clientSecretEnv` names the environment variable
 * that holds it, or `clientSecretFile` a file (a mounted Kubernetes Secret).
 */
export const oidcSettingsSchema = z
  .strictObject({
    /** What the console's button says: "Sign in with <name>". */
    name: z.string().min(1).max(40).default('single sign-on'),
    issuer: issuerUrl.describe(
      'The provider’s issuer URL (discovery at /.well-known/openid-configuration)',
    ),
    clientId: z.string().min(1),
    clientSecretEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits and "_")')
      .optional(),
    clientSecretFile: z.string().min(1).optional(),
    /**
     * Where the provider sends the browser back (registered there as a redirect URI).
     * Default: `<the console's origin>/v1/session/oidc/callback`.
     */
    redirectUrl: z.url().optional(),
    scopes: z.array(z.string().min(1)).default(['openid', 'profile', 'email']),
    /** The claim whose value(s) choose the role (a dotted path for nested claims: `realm_access.roles`). */
    roleClaim: z.string().min(1).default('groups'),
    /** Claim values that grant each role; the highest role any value grants wins. */
    roles: z
      .strictObject({ viewer: values, analyst: values, admin: values })
      .refine((r) => r.viewer.length + r.analyst.length + r.admin.length > 0, {
        message: 'map at least one claim value to a role',
      }),
    /**
     * When either list is given, only these people sign in: a subject (`sub`) or verified
     * e-mail address in `allowedUsers`, or a member of one of `allowedGroups` (read from
     * `groupsClaim`). Empty lists: anyone the provider vouches for whose claims map to a role.
     */
    allowedUsers: values,
    allowedGroups: values,
    groupsClaim: z.string().min(1).default('groups'),
  })
  .superRefine((s, ctx) => {
    if ((s.clientSecretEnv === undefined) === (s.clientSecretFile === undefined))
      ctx.addIssue({
        code: 'custom',
        path: ['clientSecretEnv'],
        message:
          'set exactly one of clientSecretEnv (the variable that holds the secret) and clientSecretFile',
      });
    if (!s.scopes.includes('openid'))
      ctx.addIssue({ code: 'custom', path: ['scopes'], message: 'must include "openid"' });
  });

export type OidcSettings = z.output<typeof oidcSettingsSchema>;

/**
 * Reads the client secret from where the settings point. Throws
 * `VIGIL_CONFIG_OIDC_SECRET` naming the variable or file (never the value).
 */
export function readClientSecret(
  settings: OidcSettings,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  const where = settings.clientSecretEnv
    ? `environment variable ${settings.clientSecretEnv}`
    : `file ${settings.clientSecretFile}`;
  let secret: string | undefined;
  try {
    secret = settings.clientSecretEnv
      ? env[settings.clientSecretEnv]
      : readFileSync(settings.clientSecretFile!, 'utf8').trim();
  } catch (cause) {
    throw new VigilError(
      'VIGIL_CONFIG_OIDC_SECRET',
      `console.oidc: cannot read the client secret from ${where}: ${(cause as NodeJS.ErrnoException).code ?? 'unreadable'}`,
      { cause },
    );
  }
  if (!secret)
    throw new VigilError(
      'VIGIL_CONFIG_OIDC_SECRET',
      `console.oidc: the client secret is empty or missing (${where})`,
    );
  return secret;
}

/** Claims of the ID token (and userinfo), as the provider signed them. */
export type Claims = Readonly<Record<string, unknown>>;

/** The outcome of mapping a person's claims: a role, or why they may not sign in. */
export type ClaimMapping =
  | { readonly ok: true; readonly role: Role }
  | { readonly ok: false; readonly reason: string };

/** The string values at a dotted claim path (a string is one value; anything else, none). */
export function claimValues(claims: Claims, path: string): string[] {
  let value: unknown = claims;
  for (const part of path.split('.')) {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return [];
    value = (value as Record<string, unknown>)[part];
  }
  if (typeof value === 'string') return [value];
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
}

/**
 * Decides who may sign in and as what: the allow-lists first (when set), then the
 * highest role any value of `roleClaim` is mapped to. Someone the provider vouches for
 * but whose claims map to no role is refused — never given a default role.
 */
export function mapClaims(claims: Claims, settings: OidcSettings): ClaimMapping {
  const subject = typeof claims['sub'] === 'string' ? claims['sub'] : '';
  if (settings.allowedUsers.length > 0 || settings.allowedGroups.length > 0) {
    const email =
      claims['email_verified'] === true && typeof claims['email'] === 'string'
        ? claims['email']
        : undefined;
    const groups = claimValues(claims, settings.groupsClaim);
    const allowed =
      settings.allowedUsers.includes(subject) ||
      (email !== undefined && settings.allowedUsers.includes(email)) ||
      groups.some((g) => settings.allowedGroups.includes(g));
    if (!allowed)
      return {
        ok: false,
        reason: `${subject} is not among console.oidc.allowedUsers (by subject or verified e-mail) nor in any of allowedGroups (claim ${settings.groupsClaim}: ${groups.length ? groups.join(', ') : 'none'})`,
      };
  }
  const found = claimValues(claims, settings.roleClaim);
  const role = [...ROLES].reverse().find((r) => settings.roles[r].some((v) => found.includes(v)));
  if (!role)
    return {
      ok: false,
      reason: `${subject} has no role in this console: claim ${settings.roleClaim} is ${found.length ? `[${found.join(', ')}]` : 'absent'}, and none of it is mapped in console.oidc.roles`,
    };
  return { ok: true, role };
}

/**
 * The console user id (and so the SPIFFE path segment `spiffe://<td>/user/<id>`) of an
 * OIDC subject: `oidc.` and the subject with every byte outside `A-Z a-z 0-9 . -`
 * written `_XX` (hex). Injective — two subjects never share an id — and never a
 * local user's, whose ids cannot start with `oidc.`.
 */
export function oidcUserId(subject: string): string {
  let out = OIDC_USER_PREFIX;
  for (const byte of Buffer.from(subject, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9.-]/.test(c) ? c : `_${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}
