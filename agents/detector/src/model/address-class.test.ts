import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AddressClassifier, cloudRangesFrom, parseCidr } from './address-class.js';

test('addresses are told apart: loopback, private, cloud ranges, public, none, not an address', () => {
  const c = new AddressClassifier(['52.94.0.0/16', '2600:1f00::/24']);
  const cases: [string | undefined, string][] = [
    ['127.0.0.1', 'loopback'],
    ['::1', 'loopback'],
    ['10.2.3.4', 'private'],
    ['172.31.255.1', 'private'],
    ['172.32.0.1', 'public'],
    ['192.168.0.9', 'private'],
    ['100.64.1.1', 'private'],
    ['169.254.169.254', 'private'],
    ['fd00::5', 'private'],
    ['fe80::1%eth0', 'private'],
    ['::ffff:10.0.0.1', 'private'],
    ['52.94.7.8', 'cloud'],
    ['2600:1f18::1', 'cloud'],
    ['2600:2000::1', 'public'],
    ['203.0.113.9', 'public'],
    ['', 'none'],
    [undefined, 'none'],
    ['node-a.internal', 'other'],
    ['300.1.1.1', 'other'],
  ];
  for (const [address, expected] of cases) assert.equal(c.classify(address), expected, address);
  assert.throws(() => new AddressClassifier(['10.0.0.0/33']), /not a CIDR range: "10.0.0.0\/33"/);
  assert.equal(parseCidr('1.2.3.4/0')?.bits, 0);
});

test("providers' published range files are read: AWS, Google, Azure and plain lists", () => {
  const aws = JSON.stringify({
    prefixes: [{ ip_prefix: '3.5.140.0/22', service: 'AMAZON' }],
    ipv6_prefixes: [{ ipv6_prefix: '2600:1f14::/35' }],
  });
  assert.deepEqual(cloudRangesFrom(aws, 'aws.json'), ['3.5.140.0/22', '2600:1f14::/35']);
  const gcp = JSON.stringify({
    prefixes: [{ ipv4Prefix: '34.1.208.0/20' }, { ipv6Prefix: '2600:1900::/28' }],
  });
  assert.deepEqual(cloudRangesFrom(gcp, 'cloud.json'), ['34.1.208.0/20', '2600:1900::/28']);
  const azure = JSON.stringify({
    values: [
      { name: 'AzureCloud', properties: { addressPrefixes: ['4.144.0.0/17', '4.144.0.0/17'] } },
    ],
  });
  assert.deepEqual(cloudRangesFrom(azure, 'tags.json'), ['4.144.0.0/17']);
  assert.deepEqual(cloudRangesFrom('# ours\n198.18.0.0/15\n\n', 'list.txt'), ['198.18.0.0/15']);
  assert.throws(
    () => cloudRangesFrom('10.0.0.0/8\nbogus\n', 'list.txt'),
    /list.txt: line 2: not a CIDR/,
  );
});
