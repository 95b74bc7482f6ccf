import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hashPassword, verifyPassword } from './password-hash.js';

test('hashes with scrypt and a fresh salt; verifies only the same password', async () => {
  const a = await hashPassword('correct horse battery');
  const b = await hashPassword('correct horse battery');
  assert.match(a, /^scrypt\$N=131072,r=8,p=1\$[\w-]{22}\$[\w-]{43}$/);
  assert.notEqual(a, b, 'salted');
  assert.equal(await verifyPassword('correct horse battery', a), true);
  assert.equal(await verifyPassword('correct horse batterY', a), false);
  assert.equal(await verifyPassword('correct horse battery', undefined), false);
  assert.equal(await verifyPassword('correct horse battery', 'scrypt$garbage'), false);
});

test('refuses a password shorter than 8 characters, without echoing it', async () => {
  await assert.rejects(hashPassword('short'), (error: Error) => {
    assert.equal((error as Error & { code: string }).code, 'VIGIL_USAGE_PASSWORD');
    assert.doesNotMatch(error.message, /short/);
    return true;
  });
});
