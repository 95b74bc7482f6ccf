import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { VigilError } from '@vigil/core';
import { hashPassword, verifyPassword } from './password-hash.js';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Every OIDC user's id starts with it (`oidcUserId`) and no local user's may, so the two never meet. */
export const OIDC_USER_PREFIX = 'oidc.';

const usersFileSchema = z.object({
  users: z.array(
    z.object({
      id: z.string().regex(/^[a-z0-9][a-z0-9._-]{0,62}$/),
      role: z.enum(ROLES),
      /** SHA-256 of the user's API token (CLI); absent for a console-only user. */
      tokenSha256: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
      /** scrypt hash of the console password (`hashPassword`); absent for a token-only user. */
      passwordHash: z.string().startsWith('scrypt$').optional(),
    }),
  ),
});

export interface User {
  readonly id: string;
  readonly role: Role;
}

/** `<stateDir>/users/users.json`: local users, their roles and the SHA-256 of their API tokens (never the tokens). */
export function usersFile(stateDir: string): string {
  return join(stateDir, 'users', 'users.json');
}

function read(stateDir: string): z.infer<typeof usersFileSchema> {
  let text: string;
  try {
    text = readFileSync(usersFile(stateDir), 'utf8');
  } catch {
    return { users: [] };
  }
  const parsed = usersFileSchema.safeParse(JSON.parse(text));
  if (!parsed.success)
    throw new VigilError(
      'VIGIL_CONFIG_USERS',
      `${usersFile(stateDir)}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  return parsed.data;
}

function digest(token: string): Buffer {
  return createHash('sha256').update(token).digest();
}

/**
 * Adds (or replaces) a local user and returns a fresh API token, shown once: only its
 * SHA-256 is stored (file mode 0600, written atomically). With `passwordHash` (from
 * `hashPassword`) the user may also sign in to the console.
 */
export function addUser(
  stateDir: string,
  id: string,
  role: Role,
  options: { readonly passwordHash?: string } = {},
): string {
  const token = `vgl_${randomBytes(24).toString('base64url')}`;
  writeUser(stateDir, {
    id,
    role,
    tokenSha256: digest(token).toString('hex'),
    ...(options.passwordHash ? { passwordHash: options.passwordHash } : {}),
  });
  return token;
}

/** Adds (or replaces) a console user: a password, no API token (an admin adds them from the console). */
export function addConsoleUser(
  stateDir: string,
  id: string,
  role: Role,
  passwordHash: string,
): void {
  writeUser(stateDir, { id, role, passwordHash });
}

function writeUser(stateDir: string, user: z.infer<typeof usersFileSchema>['users'][number]): void {
  const file = read(stateDir);
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/.test(user.id))
    throw new VigilError(
      'VIGIL_USAGE_USER_ID',
      `user id "${user.id}": lower-case letters, digits, ".", "_" and "-" only`,
    );
  if (user.id.startsWith(OIDC_USER_PREFIX))
    throw new VigilError(
      'VIGIL_USAGE_USER_ID',
      `user id "${user.id}": ids starting with "oidc." are kept for people who sign in with OIDC`,
    );
  const users = [...file.users.filter((u) => u.id !== user.id), user];
  const path = usersFile(stateDir);
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  writeFileSync(`${path}.tmp`, `${JSON.stringify({ users }, null, 2)}\n`, { mode: 0o600 });
  renameSync(`${path}.tmp`, path);
}

/**
 * The user whose console password this is, or `undefined` (unknown user, no password,
 * wrong password — indistinguishable to the caller and in timing: see `verifyPassword`).
 */
export async function authenticatePassword(
  stateDir: string,
  id: string,
  password: string,
): Promise<User | undefined> {
  const user = read(stateDir).users.find((u) => u.id === id);
  const ok = await verifyPassword(password, user?.passwordHash);
  return ok && user ? { id: user.id, role: user.role } : undefined;
}

/** Lists users (id and role only). */
export function listUsers(stateDir: string): User[] {
  return read(stateDir).users.map(({ id, role }) => ({ id, role }));
}

/**
 * Authenticates a bearer token against the users file (re-read on each call so `vigil
 * users add` takes effect at once), comparing digests in constant time.
 */
export function authenticate(stateDir: string, token: string): User | undefined {
  const presented = digest(token);
  let found: User | undefined;
  for (const u of read(stateDir).users) {
    if (u.tokenSha256 && timingSafeEqual(presented, Buffer.from(u.tokenSha256, 'hex')))
      found = { id: u.id, role: u.role };
  }
  return found;
}

/** Where a local user's token is kept for the CLI (`<stateDir>/users/<id>.token`, mode 0600). */
export function tokenFile(stateDir: string, id: string): string {
  return join(stateDir, 'users', `${id}.token`);
}

/**
 * On a state directory with no users, creates the local `admin` and stores its token in
 * {@link tokenFile} so the operator who owns the state directory can use `vigil
 * approvals` at once. Returns the id created, if any.
 */
export function ensureBootstrapAdmin(stateDir: string): string | undefined {
  if (read(stateDir).users.length > 0) return undefined;
  const token = addUser(stateDir, 'admin', 'admin');
  writeFileSync(tokenFile(stateDir, 'admin'), `${token}\n`, { mode: 0o600 });
  return 'admin';
}

/** Where the bootstrap admin's console password is kept (`<stateDir>/users/admin.password`, mode 0600). */
export function passwordFile(stateDir: string, id: string): string {
  return join(stateDir, 'users', `${id}.password`);
}

/**
 * Gives the bootstrap `admin` a random console password when it has none, kept in
 * {@link passwordFile} for the operator who owns the state directory (as its token is),
 * so `vigil up` leads a newcomer straight to the console's sign-in. Returns whether it did.
 */
export async function ensureBootstrapPassword(stateDir: string): Promise<boolean> {
  const admin = read(stateDir).users.find((u) => u.id === 'admin');
  if (!admin || admin.passwordHash || admin.role !== 'admin') return false;
  const password = randomBytes(18).toString('base64url');
  writeUser(stateDir, { ...admin, passwordHash: await hashPassword(password) });
  writeFileSync(passwordFile(stateDir, 'admin'), `${password}\n`, { mode: 0o600 });
  return true;
}
