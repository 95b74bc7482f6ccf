import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SecurityEvent } from '../events/security-event.js';
import { parseDetectorSettings } from '../agent/settings.js';
import { AssetCriticalityMap } from './asset-criticality.js';

const touching = (namespace: string | undefined, type = 'pods') =>
  ({ resource: { type, ...(namespace === undefined ? {} : { namespace }) } }) as SecurityEvent;

describe('asset criticality', () => {
  it('holds the control plane critical by default and everything else at the default', () => {
    const assets = new AssetCriticalityMap();
    assert.equal(assets.of(touching('kube-system')).criticality, 'critical');
    assert.equal(assets.of(touching(undefined, 'clusterrolebindings')).criticality, 'critical');
    assert.deepEqual(assets.of(touching('shop')), { criticality: 'medium', asset: 'default' });
  });

  it('reads a Falco workload namespace as well as an audit object namespace', () => {
    const falco = { workload: { namespace: 'kube-system', pod: 'coredns-1' } } as SecurityEvent;
    assert.equal(new AssetCriticalityMap().of(falco).criticality, 'critical');
  });

  it('takes the first declared entry that matches; a declared list replaces the built-in one', () => {
    const assets = new AssetCriticalityMap(
      parseDetectorSettings('detector', {
        assets: {
          default: 'low',
          entries: [
            { name: 'payments', namespaces: ['payments', 'payments-*'], criticality: 'critical' },
            { namespaces: ['payments-sandbox'], criticality: 'low' },
            {
              name: 'prod secrets',
              namespaces: ['prod'],
              resources: ['secrets'],
              criticality: 'high',
            },
          ],
        },
      }).assets,
    );
    assert.deepEqual(assets.of(touching('payments-eu')), {
      criticality: 'critical',
      asset: 'payments',
    });
    assert.equal(assets.of(touching('payments-sandbox')).criticality, 'critical', 'first wins');
    assert.equal(assets.of(touching('prod', 'secrets')).criticality, 'high');
    assert.equal(assets.of(touching('prod', 'pods')).criticality, 'low', 'both must match');
    assert.equal(assets.of(touching('kube-system')).criticality, 'low', 'built-in list replaced');
  });

  it('refuses an entry that names nothing, naming the field', () => {
    assert.throws(
      () =>
        parseDetectorSettings('detector', {
          assets: { entries: [{ criticality: 'high' }] },
        }),
      /agents\.detector\.settings\.assets\.entries\.0: an asset entry names namespaces, resources or both/,
    );
    assert.throws(
      () =>
        parseDetectorSettings('detector', {
          assets: { entries: [{ namespaces: ['a*b'], criticality: 'high' }] },
        }),
      /assets\.entries\.0\.namespaces\.0/,
    );
  });
});
