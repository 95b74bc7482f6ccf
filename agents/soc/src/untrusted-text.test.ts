import assert from 'node:assert/strict';
import { test } from 'node:test';
import { REDACTED, redactSecrets, redactSecretText } from './redaction.js';
import {
  ECHO_REMOVED,
  IMAGE_REMOVED,
  LINK_REMOVED,
  escapeSlackText,
  filterUntrustedText,
  neutraliseMarkdown,
} from './untrusted-text.js';

const PASSWORD = 'Tr0ub4dor&3-db-pass';

test('redacts Secret data and stringData in an audit record, keeping keys and evidence', () => {
  const record = {
    objectRef: { resource: 'secrets', namespace: 'shop', name: 'db-creds' },
    annotations: { 'authorization.k8s.io/decision': 'allow' },
    requestObject: {
      kind: 'Secret',
      metadata: { name: 'db-creds' },
      data: { password: Buffer.from(PASSWORD).toString('base64') },
      stringData: { url: `postgres://app:${PASSWORD}@db:5432/shop` },
    },
  };
  const out = redactSecrets(record);
  assert.deepEqual(out.requestObject.data, { password: REDACTED });
  assert.deepEqual(out.requestObject.stringData, { url: REDACTED });
  assert.equal(out.objectRef.name, 'db-creds', 'the name of the Secret is evidence');
  assert.equal(out.annotations['authorization.k8s.io/decision'], 'allow');
  assert.ok(!JSON.stringify(out).includes(PASSWORD));
  assert.ok(JSON.stringify(record).includes(PASSWORD), 'the raw record is not mutated');
});

test('redacts credential-named fields, bearer headers, private keys, URL passwords and tokens', () => {
  const key = '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA7x\n-----END RSA PRIVATE KEY-----';
  const out = redactSecrets({
    env: { DB_PASSWORD: PASSWORD, apiKey: 'k-123456' },
    headers: { authorization: 'Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig' },
    cmdline: `psql postgres://app:${PASSWORD}@db/shop --password=${PASSWORD} && curl -H "Authorization: Bearer abcdefgh12345678"`,
    note: `key ${key} token ghp_${'a1B2c3D4e5'.repeat(3)} random 9fQ2xLr7Tz4KpWm8Vb3NcY6Hd1Js5Ga0`,
    pod: 'webapp-7d9f8b6c5-x2k4p',
    image: 'sha256:3f5a0c9d2b7e1f4a6c8d0e2f4a6b8c0d2e4f6a8b0c2d4e6f8a0b2c4d6e8f0a2b',
  });
  const text = JSON.stringify(out);
  for (const secret of [
    PASSWORD,
    'k-123456',
    'eyJhbGci',
    'abcdefgh12345678',
    'MIIEow',
    'ghp_a1B2',
    '9fQ2xLr7',
  ])
    assert.ok(!text.includes(secret), `${secret} is redacted: ${text}`);
  assert.equal(out.pod, 'webapp-7d9f8b6c5-x2k4p', 'names are kept');
  assert.match(out.image, /^sha256:3f5a/, 'digests are kept');
  assert.equal(redactSecretText('mysql -uroot -pS3cretPass db'), `mysql -uroot -p${REDACTED} db`);
});

const PROMPT =
  'You are the analyst of a security operations centre for Kubernetes clusters. You receive one detector finding.';

test('cuts runs of the system prompt, images and links to hosts outside the allow-list', () => {
  const out = filterUntrustedText(
    `Benign. My instructions: ${PROMPT} ![x](https://evil.example/p.png?d=1) see [docs](http://evil.example/a) and https://evil.example/b, [T1609](https://attack.mitre.org/techniques/T1609/) <img src=x> <b>bold</b>`,
    { forbidden: [PROMPT] },
  );
  assert.ok(out.includes(ECHO_REMOVED), out);
  assert.ok(!out.includes('operations centre for Kubernetes'), out);
  assert.ok(!out.includes('evil.example'), out);
  assert.ok(out.includes(IMAGE_REMOVED) && out.includes(LINK_REMOVED), out);
  assert.ok(out.includes('T1609 (https://attack.mitre.org/techniques/T1609/)'), out);
  assert.ok(!/<[a-z]/i.test(out), out);
  assert.equal(filterUntrustedText('a shell in the pod web-1'), 'a shell in the pod web-1');
});

test('neutralises markdown and Slack link syntax', () => {
  assert.equal(neutraliseMarkdown('*x* [a](b) `c`'), '\\*x\\* \\[a\\]\\(b\\) \\`c\\`');
  assert.equal(
    escapeSlackText('<!channel> <http://x|y> & z'),
    '&lt;!channel&gt; &lt;http://x|y&gt; &amp; z',
  );
});
