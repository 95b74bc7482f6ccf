import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DEFAULT_RULE_CONTEXT } from './condition.js';
import { compileRule } from './rule.js';
import { translateSigma } from './sigma.js';

const PROVENANCE = { repository: 'test', path: 't.yml', commit: '0', licence: 'DRL-1.1' };

/** A Sigma rule whose one selection is `detection` (YAML), compiled as the loader does. */
function sigma(selection: string) {
  const doc = parse(
    `title: t\nid: 00000000-0000-0000-0000-000000000001\nlogsource: { product: kubernetes, service: audit }\nlevel: high\ndetection:\n  sel:\n${selection}\n  condition: sel\n`,
  ) as unknown;
  return compileRule(
    translateSigma(
      doc,
      { action: 'alert', fixtures: { positive: [{}], negative: [{}] } },
      PROVENANCE,
    ),
  );
}

const from = (sourceIp: string) => ({ actor: { sourceIp } }) as never;
const fires = (rule: ReturnType<typeof sigma>, ip: string) =>
  rule.matches(from(ip), DEFAULT_RULE_CONTEXT);

describe('the Sigma cidr modifier', () => {
  // The private ranges SigmaHQ's network rules list with |cidr (IPv4 and IPv6).
  const privateRanges = sigma(
    `    sourceIPs|cidr:\n      - '127.0.0.0/8'\n      - '10.0.0.0/8'\n      - '172.16.0.0/12'\n      - '192.168.0.0/16'\n      - '169.254.0.0/16'\n      - '::1/128'\n      - 'fe80::/10'\n      - 'fc00::/7'`,
  );

  it('matches an IPv4 address inside any listed range, boundaries included', () => {
    for (const ip of ['10.0.0.0', '10.255.255.255', '172.31.0.9', '192.168.10.20', '127.0.0.1'])
      assert.ok(fires(privateRanges, ip), ip);
    for (const ip of ['11.0.0.1', '172.32.0.1', '9.255.255.255', '192.169.0.1', '8.8.8.8'])
      assert.ok(!fires(privateRanges, ip), ip);
  });

  it('matches IPv6 addresses by prefix, in any spelling of the address', () => {
    for (const ip of ['::1', 'fe80::1%eth0', 'fd12:3456:789a::1', 'FC00:0:0:0:0:0:0:1'])
      assert.ok(fires(privateRanges, ip), ip);
    for (const ip of ['2001:db8::1', '::2', 'fec0::1']) assert.ok(!fires(privateRanges, ip), ip);
  });

  it('compares an IPv4-mapped IPv6 address as the IPv4 address it carries', () => {
    assert.ok(fires(privateRanges, '::ffff:10.1.2.3'));
    assert.ok(!fires(privateRanges, '::ffff:8.8.8.8'));
  });

  it('never matches text that is not an address, nor an absent field', () => {
    for (const ip of ['10.0.0.0/8', '10.1.2', 'ten.0.0.1', '', '10.0.0.256'])
      assert.ok(!fires(privateRanges, ip), ip);
    assert.ok(!privateRanges.matches({ actor: {} } as never, DEFAULT_RULE_CONTEXT));
  });

  it('takes a bare address as one host and a single range without a list', () => {
    const host = sigma(`    sourceIPs|cidr: '203.0.113.7'`);
    assert.ok(fires(host, '203.0.113.7'));
    assert.ok(!fires(host, '203.0.113.8'));
    const v6 = sigma(`    sourceIPs|cidr: '2001:db8::/32'`);
    assert.ok(fires(v6, '2001:db8:ffff::1'));
    assert.ok(!fires(v6, '2001:db9::1'));
  });

  it('ANDs the ranges with |cidr|all', () => {
    const both = sigma(`    sourceIPs|cidr|all:\n      - '10.0.0.0/8'\n      - '10.1.0.0/16'`);
    assert.ok(fires(both, '10.1.2.3'));
    assert.ok(!fires(both, '10.2.0.1'));
  });

  it('is negated by not like any selection: outside the ranges, or no address at all', () => {
    const doc = parse(
      `title: t\nid: 00000000-0000-0000-0000-000000000002\nlogsource: { product: kubernetes, service: audit }\nlevel: high\ndetection:\n  internal:\n    sourceIPs|cidr: ['10.0.0.0/8', 'fc00::/7']\n  condition: not internal\n`,
    ) as unknown;
    const outside = compileRule(
      translateSigma(
        doc,
        { action: 'alert', fixtures: { positive: [{}], negative: [{}] } },
        PROVENANCE,
      ),
    );
    assert.ok(outside.matches(from('8.8.8.8'), DEFAULT_RULE_CONTEXT));
    assert.ok(!outside.matches(from('10.9.9.9'), DEFAULT_RULE_CONTEXT));
    assert.ok(!outside.matches(from('fd00::5'), DEFAULT_RULE_CONTEXT));
  });

  it('refuses ranges pySigma refuses: host bits set, bad prefixes, non-strings', () => {
    for (const bad of [
      "'10.1.2.3/8'",
      "'10.0.0.0/33'",
      "'2001:db8::1/32'",
      "'::/129'",
      "'nonsense'",
      '42',
    ])
      assert.throws(
        () => sigma(`    sourceIPs|cidr: ${bad}`),
        (e: Error) =>
          /VIGIL_DETECTOR_RULE_INVALID|not an IPv4 or IPv6 network|is not a CIDR range/.test(
            `${(e as { code?: string }).code} ${e.message}`,
          ) && e.message.includes('sourceIPs|cidr'),
        bad,
      );
  });
});
