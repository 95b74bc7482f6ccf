/**
 * The signed-in person's signing key: a WebCrypto ECDSA P-256 key pair whose private
 * key is non-extractable (no script, ours included, can read its bytes), kept in
 * IndexedDB for the session so a reload keeps the certificate issued for it, and
 * deleted at sign-out.
 */

const DB = 'vigil-console';
const STORE = 'keys';
const KEY = 'session';

/** What is kept for the session: the key pair and, once issued, its user certificate. */
export interface StoredIdentity {
  readonly keys: CryptoKeyPair;
  readonly certificate?: string;
  readonly spiffeId?: string;
  readonly expiresAt?: number;
  readonly user: string;
}

function open(): Promise<IDBDatabase> {
  return new Promise((resolve, reject) => {
    const request = indexedDB.open(DB, 1);
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB unavailable'));
  });
}

async function run<T>(
  mode: IDBTransactionMode,
  action: (store: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await open();
  try {
    return await new Promise<T>((resolve, reject) => {
      const request = action(db.transaction(STORE, mode).objectStore(STORE));
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error ?? new Error('IndexedDB request failed'));
    });
  } finally {
    db.close();
  }
}

/** Keeps the identity for this session (CryptoKey objects are stored as they are, not as bytes). */
export async function saveIdentity(identity: StoredIdentity): Promise<void> {
  await run('readwrite', (s) => s.put(identity, KEY));
}

/** The identity kept for `user`, if any (another user's is never returned). */
export async function loadIdentity(user: string): Promise<StoredIdentity | undefined> {
  const found = (await run('readonly', (s) => s.get(KEY))) as StoredIdentity | undefined;
  return found?.user === user ? found : undefined;
}

/** Forgets the key: at sign-out, and before a new sign-in. */
export async function clearIdentity(): Promise<void> {
  await run('readwrite', (s) => s.delete(KEY));
}
