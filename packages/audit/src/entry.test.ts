import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson } from '@vigil/core';
import {
  canonicalText,
  entryFromJson,
  entryHash,
  hashSealed,
  hashedForm,
  sealedCanonical,
  storedCanonical,
  validateEntryInput,
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

/** The stored hash of the demo run's first finding (version 1), kept as recorded. */
const GOLDEN_V1_HASH = '7d100778d536adaadef8ab191589a801c874fbd07312e3ccc2f9a6472117278e';

const SEALED: SealedEntry = {
  v: 2,
  chain: 'spiffe://t/agent/a#1',
  chainSeq: 3,
  time: '2026-11-25T10:00:00.000Z',
  traceId: null,
  spanId: '0123456789abcdef',
  correlationId: 'inc-1',
  actor: 'user:alice',
  kind: 'approval',
  what: { z: [1, { y: 'é' }], a: null },
  why: { comment: 'ok' },
  inputDigest: null,
  outputDigest: `sha256:${'0'.repeat(64)}`,
  prevHash: 'f'.repeat(64),
};

for (const v of [1, 2] as const) {
  test(`the sealed form hashed is the RFC 8785 form of a version ${v} entry`, () => {
    const sealed: SealedEntry = { ...SEALED, v };
    const text = sealedCanonical(sealed, canonicalJson(sealed.what), canonicalJson(sealed.why));
    assert.equal(text, canonicalJson(hashedForm(sealed)));
    assert.equal(
      entryHash(sealed),
      hashSealed(sealed, canonicalJson(sealed.what), canonicalJson(sealed.why)),
    );
  });
}

test('the correlation id is hashed as incidentId in version 1 and correlationId from version 2', () => {
  const v1 = sealedCanonical({ ...SEALED, v: 1 }, '{}', '{}');
  const v2 = sealedCanonical(SEALED, '{}', '{}');
  assert.match(v1, /"chainSeq":3,"incidentId":"inc-1","inputDigest":null,/);
  assert.match(v1, /,"v":1,"what"/);
  assert.match(v2, /"chainSeq":3,"correlationId":"inc-1","inputDigest":null,/);
  assert.match(v2, /,"v":2,"what"/);
  // The same fields sealed in the two versions never share a hash: a version cannot be swapped.
  assert.notEqual(entryHash({ ...SEALED, v: 1 }), entryHash(SEALED));
});

test('a version 1 entry recorded by a real demo run still hashes to its stored hash', () => {
  // The first finding of `vigil up --demo` (apps/cli/src/commands/fixtures/soc-demo-audit.ndjson), as exported then.
  const exported = {
    v: 1,
    sequence: 14,
    chain: 'spiffe://soc.vigil.local/agent/coordinator#dc5d6f57-947a-4421-8979-d320151e51ad',
    chainSeq: 1,
    time: '2026-12-07T02:16:43.038Z',
    traceId: null,
    spanId: null,
    incidentId: 'inc-06a21b8e',
    actor: 'spiffe://soc.vigil.local/agent/coordinator',
    kind: 'finding',
    what: {
      disposition: 'new',
      entities: ['actor:system:anonymous', 'address:198.51.100.23'],
      eventId: '82175811-c0b7-40cf-8a97-0a39722069cb',
      findingId: 'finding-82175811-c0b7-40cf-8a97-0a39722069cb',
      score: 0.606981404819179,
    },
    why: { rationale: 'anomalous event with no open incident for its entities' },
    inputDigest: null,
    outputDigest: null,
    prevHash: '0'.repeat(64),
    hash: GOLDEN_V1_HASH,
  };
  const entry = entryFromJson(exported);
  assert.equal(entry.correlationId, 'inc-06a21b8e');
  assert.equal(entryHash(entry), GOLDEN_V1_HASH);
  // Exported again (with the new key) it still reads back and verifies as version 1.
  const again = entryFromJson(JSON.parse(JSON.stringify(entry)));
  assert.deepEqual(again, entry);
  assert.equal(entryHash(again), GOLDEN_V1_HASH);
});

test('entryFromJson names every field that is missing or mistyped', () => {
  assert.throws(
    () => entryFromJson({ v: 3, chain: 1, what: [], traceId: 5 }),
    (error: Error & { code?: string }) => {
      assert.equal(error.code, 'VIGIL_AUDIT_INVALID_ENTRY');
      for (const field of ['v: 3', 'chain:', 'what:', 'traceId:', 'hash:', 'sequence:'])
        assert.ok(error.message.includes(field), `${field} in ${error.message}`);
      return true;
    },
  );
});

test('a stored row of a version no writer seals with rebuilds no canonical text', () => {
  const text = storedCanonical({ ...SEALED, v: 3 }, '{}', '{}');
  assert.doesNotMatch(text, /^\{/);
});

test("kinds are open but well-formed, and a writer's registered set is enforced", () => {
  const input = { kind: 'memo-draft', actor: 'user:alice', what: {}, why: {} };
  validateEntryInput(input);
  assert.throws(() => validateEntryInput({ ...input, kind: 'Memo Draft' }), /kind: "Memo Draft"/);
  assert.throws(() => validateEntryInput({ ...input, kind: 'a'.repeat(65) }), /at most 64/);
  assert.throws(
    () => validateEntryInput(input, { kinds: new Set(['finding', 'verdict']) }),
    /kind: memo-draft is not registered \(known: finding, verdict\)/,
  );
  validateEntryInput(input, { kinds: new Set(['memo-draft']) });
});
