import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addConsoleUser } from '../users.js';
import {
  claimValues,
  mapClaims,
  oidcSettingsSchema,
  oidcUserId,
  readClientSecret,
} from './oidc-settings.js';

const base = {
  issuer: 'https://idp.example.com/realms/corp',
  clientId: 'vigil',
  clientSecretEnv: 'OIDC_SECRET',
  roles: { viewer: ['staff'], analyst: ['soc'], admin: ['soc-leads'] },
};
const settings = (over: Record<string, unknown> = {}) =>
  oidcSettingsSchema.parse({ ...base, ...over });

test('the settings refuse plain http off loopback, a missing or doubled secret reference, no role mapping and scopes without openid', () => {
  const problems = (input: Record<string, unknown>) =>
    oidcSettingsSchema
      .safeParse(input)
      .error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`) ?? [];
  assert.match(
    problems({ ...base, issuer: 'http://idp.example.com' }).join(),
    /^issuer: must be https/,
  );
  assert.deepEqual(problems({ ...base, issuer: 'http://127.0.0.1:8080' }), []);
  assert.match(
    problems({ ...base, clientSecretEnv: undefined }).join(),
    /clientSecretEnv: set exactly one/,
  );
  assert.match(
    problems({ ...base, clientSecretFile: '/run/secret' }).join(),
    /clientSecretEnv: set exactly one/,
  );
  assert.match(problems({ ...base, roles: {} }).join(), /roles: map at least one claim value/);
  assert.match(problems({ ...base, scopes: ['email'] }).join(), /scopes: must include "openid"/);
  assert.match(problems({ ...base, clientSecret: 'x' }).join(), /Unrecognized key/);
});

test('the highest mapped role wins; a string claim is one value; nested claims by dotted path', () => {
  assert.deepEqual(mapClaims({ sub: 'a', groups: ['staff', 'soc'] }, settings()), {
    ok: true,
    role: 'analyst',
  });
  assert.deepEqual(mapClaims({ sub: 'a', groups: 'soc-leads' }, settings()), {
    ok: true,
    role: 'admin',
  });
  const nested = settings({ roleClaim: 'realm_access.roles' });
  assert.deepEqual(mapClaims({ sub: 'a', realm_access: { roles: ['staff'] } }, nested), {
    ok: true,
    role: 'viewer',
  });
  assert.deepEqual(claimValues({ a: { b: [1, 'x'] } }, 'a.b'), ['x']);
  assert.deepEqual(claimValues({ a: 'x' }, 'a.b'), []);
});

test('no mapped value, no role: refused with the claim it read', () => {
  const refused = mapClaims({ sub: 'eve', groups: ['sales'] }, settings());
  assert.deepEqual(refused, {
    ok: false,
    reason:
      'eve has no role in this console: claim groups is [sales], and none of it is mapped in console.oidc.roles',
  });
  assert.match(
    (mapClaims({ sub: 'eve' }, settings()) as { reason: string }).reason,
    /claim groups is absent/,
  );
});

test('allow-lists admit a subject, a verified e-mail or a group member, and no one else', () => {
  const only = settings({ allowedUsers: ['id-1', 'ana@corp.test'], allowedGroups: ['soc-team'] });
  const soc = { groups: ['soc'] };
  assert.equal(mapClaims({ sub: 'id-1', ...soc }, only).ok, true);
  assert.equal(
    mapClaims({ sub: 'id-2', email: 'ana@corp.test', email_verified: true, ...soc }, only).ok,
    true,
  );
  assert.equal(
    mapClaims({ sub: 'id-3', email: 'ana@corp.test', email_verified: false, ...soc }, only).ok,
    false,
    'unverified e-mail',
  );
  assert.equal(mapClaims({ sub: 'id-4', groups: ['soc', 'soc-team'] }, only).ok, true);
  const out = mapClaims({ sub: 'id-5', ...soc }, only);
  assert.equal(out.ok, false);
  assert.match((out as { reason: string }).reason, /id-5 is not among console.oidc.allowedUsers/);
});

test('an OIDC user id is the subject with unsafe bytes escaped: a SPIFFE path segment, injective, never a local id', () => {
  assert.equal(oidcUserId('248289761001'), 'oidc.248289761001');
  assert.equal(oidcUserId('auth0|ana'), 'oidc.auth0_7Cana');
  assert.equal(oidcUserId('a_b'), 'oidc.a_5Fb');
  assert.notEqual(oidcUserId('a b'), oidcUserId('a_20b'), 'escapes cannot be forged by a subject');
  assert.equal(oidcUserId('é/..'), 'oidc._C3_A9_2F..');
  for (const sub of ['x y', 'ü', '../etc', 'a:b@c'])
    assert.match(oidcUserId(sub), /^oidc\.[A-Za-z0-9._-]+$/);
  assert.throws(
    () => addConsoleUser('/nonexistent', 'oidc.ana', 'admin', 'scrypt$x'),
    /kept for people who sign in with OIDC/,
  );
});

test('the client secret is read from the named variable or file, and a missing one is named, never shown', () => {
  assert.equal(readClientSecret(settings(), { OIDC_SECRET: 's3cret' }), 's3cret');
  assert.throws(
    () => readClientSecret(settings(), {}),
    (e: Error & { code?: string }) =>
      e.code === 'VIGIL_CONFIG_OIDC_SECRET' && /environment variable OIDC_SECRET/.test(e.message),
  );
  const file = settings({ clientSecretEnv: undefined, clientSecretFile: '/nonexistent/secret' });
  assert.throws(() => readClientSecret(file), /file \/nonexistent\/secret: ENOENT/);
});
