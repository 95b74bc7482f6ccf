import assert from 'node:assert/strict';
import { test } from 'node:test';
import { subjectOf } from './notification-sinks.js';

test('the demo prints an e-mail subject decoded and unfolded, not MIME-encoded', () => {
  // As an SMTP transport writes a long non-ASCII subject: RFC 2047 encoded words, folded.
  const raw =
    'From: vigil@example.com\r\nSubject: =?UTF-8?Q?=5BVigil_high=5D_Anonymous_request_=22get_secr?=\r\n =?UTF-8?Q?ets_in_kube-system=22_succeeded_=E2=80=94_=C3=BCn=C3=AFcode?=\r\nTo: soc@example.com\r\n\r\nbody';
  assert.equal(
    subjectOf(raw),
    '[Vigil high] Anonymous request "get secrets in kube-system" succeeded — ünïcode',
  );
  assert.equal(subjectOf('Subject: plain words\r\n\r\n'), 'plain words');
  assert.equal(subjectOf('From: a@b\r\n\r\nSubject: not a header'), '(no subject)');
});
