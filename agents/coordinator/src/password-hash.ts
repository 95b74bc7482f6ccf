import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { VigilError } from '@vigil/core';

/**
 * scrypt parameters (OWASP Password Storage Cheat Sheet's minimum: N=2^17, r=8, p=1,
 * 128 MiB per hash). Stored with each hash, so raising them later keeps old hashes valid.
 */
export const SCRYPT_PARAMS = Object.freeze({ N: 2 ** 17, r: 8, p: 1, keyLength: 32 });

/** The shortest password accepted (NIST SP 800-63B §5.1.1.2: at least 8 characters). */
export const MIN_PASSWORD_LENGTH = 8;
/** Longer passwords are refused: hashing them would be a denial of service lever. */
export const MAX_PASSWORD_LENGTH = 1024;

const FORMAT = /^scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9_-]+)\$([A-Za-z0-9_-]+)$/;

function derive(password: string, salt: Buffer, N: number, r: number, p: number, length: number) {
  const options: ScryptOptions = { N, r, p, maxmem: 256 * N * r + 1024 * 1024 };
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password.normalize('NFKC'), salt, length, options, (error, key) =>
      error ? reject(error) : resolve(key),
    ),
  );
}

/** Refuses a password that is too short or too long, naming the bound (never the password). */
export function checkPasswordPolicy(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH)
    throw new VigilError(
      'VIGIL_USAGE_PASSWORD',
      `a password needs ${MIN_PASSWORD_LENGTH} to ${MAX_PASSWORD_LENGTH} characters`,
    );
}

/**
 * Hashes a password with scrypt and a fresh 16-byte salt, as
 * `scrypt$N=…,r=…,p=…$<salt>$<hash>` (base64url), the format {@link verifyPassword} reads.
 */
export async function hashPassword(password: string): Promise<string> {
  checkPasswordPolicy(password);
  const { N, r, p, keyLength } = SCRYPT_PARAMS;
  const salt = randomBytes(16);
  const hash = await derive(password, salt, N, r, p, keyLength);
  return `scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64url')}$${hash.toString('base64url')}`;
}

/** A valid hash of no one's password: verified against when a user is unknown, so timing tells nothing. */
let decoy: Promise<string> | undefined;

/**
 * True when `password` matches `stored` (compared in constant time). With no stored hash
 * (unknown user, token-only user) a decoy hash is checked instead and false returned, so
 * the answer takes as long either way.
 */
export async function verifyPassword(
  password: string,
  stored: string | undefined,
): Promise<boolean> {
  if (password.length > MAX_PASSWORD_LENGTH) return false;
  const match = FORMAT.exec(
    stored ?? (await (decoy ??= hashPassword(randomBytes(16).toString('hex')))),
  );
  if (!match) return false;
  const [, N, r, p, salt, hash] = match;
  const expected = Buffer.from(hash!, 'base64url');
  const actual = await derive(
    password,
    Buffer.from(salt!, 'base64url'),
    Number(N),
    Number(r),
    Number(p),
    expected.length,
  );
  return timingSafeEqual(actual, expected) && stored !== undefined;
}
