import assert from 'node:assert/strict';
import { test } from 'node:test';
import { canonicalJson, digestOf } from './canonical-json.js';
import { isVigilError } from './errors.js';

test('sorts members by UTF-16 code units and drops whitespace (RFC 8785 §3.2.3)', () => {
  assert.equal(
    canonicalJson({ b: 1, a: [true, null, 'x'], '\u20ac': 0, '\r': 1 }),
    '{"\\r":1,"a":[true,null,"x"],"b":1,"€":0}',
  );
});

test('serialises numbers in ECMAScript form (RFC 8785 §3.2.2.3 examples)', () => {
  assert.equal(
    canonicalJson([1e21, 1e-7, -0, 333333333.3333333, 4.5]),
    '[1e+21,1e-7,0,333333333.3333333,4.5]',
  );
});

test('refuses values with no JSON form instead of dropping them', () => {
  assert.throws(
    () => canonicalJson({ a: Number.NaN }),
    (e) => isVigilError(e, 'VIGIL_CANONICAL_JSON'),
  );
});

test('digest is independent of member order', () => {
  assert.equal(digestOf({ a: 1, b: { c: 2, d: 3 } }), digestOf({ b: { d: 3, c: 2 }, a: 1 }));
  assert.match(digestOf({}), /^sha256:[0-9a-f]{64}$/);
});
