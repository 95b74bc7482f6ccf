import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '@vigil/core';
import {
  canonicalText,
  entryHash,
  hashSealed,
  sealedCanonical,
  type SealedEntry,
} from './entry.js';

// A small deterministic generator of JSON-like values (with undefined members, unicode keys, odd numbers).
function* values(seed: number, n: number): Generator<unknown> {
  let x = seed;
  const rnd = () => (x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const gen = (depth: number): unknown => {
    const r = rnd();
    if (depth > 3 || r < 0.3) {
      const pick = Math.floor(rnd() * 8);
      return [
        null,
        true,
        false,
        rnd() * 1e21,
        -0.000001234,
        Math.floor(rnd() * 1e6),
        'é\u2028"\\\n😀',
        undefined,
      ][pick];
    }
    if (r < 0.6) return Array.from({ length: Math.floor(rnd() * 4) }, () => gen(depth + 1));
    const o: Record<string, unknown> = {};
    for (const k of ['b', 'a', 'A', 'é', '\u20ac', 'aa', '10', '9', '😀', '\ufb33'])
      if (rnd() < 0.4) o[k] = gen(depth + 1);
    return o;
  };
  for (let i = 0; i < n; i++) yield gen(0);
}

test('canonicalText produces exactly what canonicalJson in @vigil/core produces', () => {
  for (const v of values(7, 3000)) {
    if (v === undefined) continue;
    assert.equal(canonicalText(v), canonicalJson(v));
  }
  assert.equal(canonicalText({ d: new Date(0) }), canonicalJson({ d: new Date(0) }));
});

test('canonicalText names the path of a value JSON cannot carry', () => {
  assert.throws(() => canonicalText({ a: [1, { b: Number.NaN }] }), {
    code: 'VIGIL_AUDIT_INVALID_ENTRY',
    message: /\$\.a\[1\]\.b: NaN/,
  });
  assert.throws(() => canonicalText({ n: 10n }), /\$\.n: a bigint/);
});

test('the sealed form hashed is the RFC 8785 form of the entry', () => {
  const sealed: SealedEntry = {
    v: 1,
    chain: 'spiffe://t/agent/a#1',
    chainSeq: 3,
    time: '2026-11-25T10:00:00.000Z',
    traceId: null,
    spanId: '0123456789abcdef',
    incidentId: 'inc-1',
    actor: 'user:alice',
    kind: 'approval',
    what: { z: [1, { y: 'é' }], a: null },
    why: { comment: 'ok' },
    inputDigest: null,
    outputDigest: `sha256:${'0'.repeat(64)}`,
    prevHash: 'f'.repeat(64),
  };
  assert.equal(
    sealedCanonical(sealed, canonicalJson(sealed.what), canonicalJson(sealed.why)),
    canonicalJson(sealed),
  );
  assert.equal(
    entryHash(sealed),
    hashSealed(sealed, canonicalJson(sealed.what), canonicalJson(sealed.why)),
  );
});
