import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeTarget } from './notification.js';

test('an action target reads as namespace/name, a selector as labels, never as raw JSON', () => {
  assert.equal(describeTarget({ namespace: 'shop', pod: 'web-1' }), 'shop/web-1');
  assert.equal(
    describeTarget({ namespace: 'shop', selector: { app: 'web', tier: 'front' } }),
    'shop/pods app=web,tier=front',
  );
  assert.equal(describeTarget({ cidr: '10.0.0.0/8' }), '10.0.0.0/8');
  const other = describeTarget({ namespace: 'shop', kind: 'Job', labels: ['a'] });
  assert.equal(other, 'shop/kind=Job labels=["a"]');
  assert.doesNotMatch(describeTarget({ namespace: 'shop', selector: { app: 'web' } }), /[{}]/);
});
