/**
 * The class of a source address: `loopback`, `private` (RFC 1918, carrier-grade NAT
 * 100.64/10, link-local 169.254/16, IPv6 unique-local fc00::/7 and link-local fe80::/10),
 * `cloud` (the cloud providers' published ranges the model was trained with), `public`
 * (any other address), `none` (no address) or `other` (not an IP address).
 *
 * Why: a pod, a node and the control plane talk from private addresses; a managed control
 * plane or a cloud service from its provider's ranges; people from public ones. A system
 * identity (node, control-plane component, service account) calling from a public address
 * is a stolen credential used from outside, which the raw address alone does not show.
 *
 * The providers' lists (AWS `ip-ranges.json`, Google `cloud.json`, Azure Service Tags) are
 * large and change weekly, so none is compiled in: `vigil detector train --cloud-ranges`
 * reads them, and the model file keeps the CIDRs it was trained with.
 */

export type AddressClass = 'loopback' | 'private' | 'cloud' | 'public' | 'none' | 'other';

/** A parsed CIDR: network bits as 32-bit words (one for IPv4, four for IPv6) and prefix length. */
interface Cidr {
  readonly v6: boolean;
  readonly words: Uint32Array;
  readonly bits: number;
}

const BUILT_IN: readonly (readonly [string, AddressClass])[] = [
  ['127.0.0.0/8', 'loopback'],
  ['::1/128', 'loopback'],
  ['10.0.0.0/8', 'private'],
  ['172.16.0.0/12', 'private'],
  ['192.168.0.0/16', 'private'],
  ['100.64.0.0/10', 'private'],
  ['169.254.0.0/16', 'private'],
  ['fc00::/7', 'private'],
  ['fe80::/10', 'private'],
];

/** Classifies addresses; immutable. Most specific match wins among built-in then cloud ranges. */
export class AddressClassifier {
  private readonly builtIn: readonly (readonly [Cidr, AddressClass])[];
  private readonly cloud: readonly Cidr[];
  /** A small cache: the same few addresses (nodes, the control plane) recur on every event. */
  private readonly cache = new Map<string, AddressClass>();

  /**
   * @param cloudRanges the CIDRs of cloud providers' ranges.
   * @throws RangeError naming the first range that is not a CIDR.
   */
  constructor(readonly cloudRanges: readonly string[] = []) {
    this.builtIn = BUILT_IN.map(([c, k]) => [parseCidrOrThrow(c), k] as const);
    this.cloud = cloudRanges.map(parseCidrOrThrow);
  }

  classify(address: string | undefined): AddressClass {
    if (address === undefined || address === '') return 'none';
    const hit = this.cache.get(address);
    if (hit !== undefined) return hit;
    const cls = this.compute(address);
    if (this.cache.size >= 4096) this.cache.clear();
    this.cache.set(address, cls);
    return cls;
  }

  private compute(address: string): AddressClass {
    const ip = parseIp(address);
    if (ip === undefined) return 'other';
    for (const [cidr, cls] of this.builtIn) if (contains(cidr, ip)) return cls;
    for (const cidr of this.cloud) if (contains(cidr, ip)) return 'cloud';
    return 'public';
  }
}

/**
 * A membership test for a fixed list of CIDRs (a rule's `cidr` operator): true when the
 * text is an IP address inside one of them. Undefined when a range does not parse.
 */
export function compileCidrSet(
  ranges: readonly string[],
): ((address: string) => boolean) | undefined {
  const cidrs: Cidr[] = [];
  for (const r of ranges) {
    const c = parseCidr(r);
    if (c === undefined) return undefined;
    cidrs.push(c);
  }
  return (address) => {
    const ip = parseIp(address);
    if (ip === undefined) return false;
    for (const c of cidrs) if (contains(c, ip)) return true;
    return false;
  };
}

/** A parsed address: IPv4-mapped IPv6 counts as IPv4. */
interface Ip {
  readonly v6: boolean;
  readonly words: Uint32Array;
}

function contains(cidr: Cidr, ip: Ip): boolean {
  if (cidr.v6 !== ip.v6) return false;
  let bits = cidr.bits;
  for (let i = 0; i < cidr.words.length && bits > 0; i++, bits -= 32) {
    const mask = bits >= 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0;
    if ((ip.words[i]! & mask) >>> 0 !== cidr.words[i]) return false;
  }
  return true;
}

/** Parses `a.b.c.d/n` or `x:y::/n`. */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf('/');
  const ip = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (ip === undefined) return undefined;
  const max = ip.v6 ? 128 : 32;
  const bits = slash < 0 ? max : Number(text.slice(slash + 1));
  if (!Number.isInteger(bits) || bits < 0 || bits > max) return undefined;
  const words = Uint32Array.from(ip.words);
  let rest = bits;
  for (let i = 0; i < words.length; i++, rest -= 32) {
    const mask = rest >= 32 ? 0xffffffff : rest <= 0 ? 0 : (0xffffffff << (32 - rest)) >>> 0;
    words[i] = (words[i]! & mask) >>> 0;
  }
  return { v6: ip.v6, words, bits };
}

/**
 * True when the text is a network in CIDR notation whose host bits are zero
 * (`10.0.0.0/8`, `fc00::/7`), or a bare address (a single host) — Python's strict
 * `ip_network`, which Sigma's `cidr` modifier is defined by.
 */
export function isNetworkCidr(text: string): boolean {
  const network = parseCidr(text);
  if (network === undefined) return false;
  const slash = text.indexOf('/');
  const address = parseIp(slash < 0 ? text : text.slice(0, slash))!;
  return address.words.every((w, i) => w === network.words[i]);
}

function parseCidrOrThrow(text: string): Cidr {
  const c = parseCidr(text);
  if (c === undefined) throw new RangeError(`not a CIDR range: ${JSON.stringify(text)}`);
  return c;
}

function parseIp(text: string): Ip | undefined {
  if (text.includes(':')) {
    const v6 = parseIpv6(text);
    if (v6 === undefined) return undefined;
    // ::ffff:a.b.c.d → IPv4
    if (v6[0] === 0 && v6[1] === 0 && v6[2] === 0xffff)
      return { v6: false, words: Uint32Array.of(v6[3]!) };
    return { v6: true, words: v6 };
  }
  const v4 = parseIpv4(text);
  return v4 === undefined ? undefined : { v6: false, words: Uint32Array.of(v4) };
}

function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    value = value * 256 + n;
  }
  return value >>> 0;
}

function parseIpv6(text: string): Uint32Array | undefined {
  const zone = text.indexOf('%');
  const s = zone < 0 ? text : text.slice(0, zone);
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groupsOf = (h: string): number[] | undefined => {
    if (h === '') return [];
    const out: number[] = [];
    const parts = h.split(':');
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i]!;
      if (i === parts.length - 1 && p.includes('.')) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(v4 >>> 16, v4 & 0xffff);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groupsOf(halves[0]!);
  const tail = halves.length === 2 ? groupsOf(halves[1]!) : [];
  if (head === undefined || tail === undefined) return undefined;
  const fill = 8 - head.length - tail.length;
  if (halves.length === 2 ? fill < 1 : fill !== 0) return undefined;
  const groups = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const words = new Uint32Array(4);
  for (let i = 0; i < 4; i++) words[i] = ((groups[2 * i]! << 16) | groups[2 * i + 1]!) >>> 0;
  return words;
}

/**
 * The CIDRs in a cloud provider's published range file: AWS `ip-ranges.json`
 * (`prefixes[].ip_prefix`, `ipv6_prefixes[].ipv6_prefix`), Google `cloud.json`
 * (`prefixes[].ipv4Prefix` / `ipv6Prefix`), Azure Service Tags
 * (`values[].properties.addressPrefixes[]`), or plain text with one CIDR per line (`#`
 * comments). Unparseable entries are refused with their position.
 * @throws RangeError naming the entry.
 */
export function cloudRangesFrom(text: string, source: string): string[] {
  const trimmed = text.trim();
  const out: string[] = [];
  const push = (v: unknown, where: string): void => {
    if (typeof v !== 'string' || parseCidr(v) === undefined)
      throw new RangeError(`${source}: ${where}: not a CIDR range: ${JSON.stringify(v)}`);
    out.push(v);
  };
  if (trimmed.startsWith('{')) {
    const doc = JSON.parse(trimmed) as Record<string, unknown>;
    const list = (key: string): unknown[] =>
      Array.isArray(doc[key]) ? (doc[key] as unknown[]) : [];
    list('prefixes').forEach((p, i) => {
      const o = p as Record<string, unknown>;
      push(o['ip_prefix'] ?? o['ipv4Prefix'] ?? o['ipv6Prefix'], `prefixes[${i}]`);
    });
    list('ipv6_prefixes').forEach((p, i) =>
      push((p as Record<string, unknown>)['ipv6_prefix'], `ipv6_prefixes[${i}]`),
    );
    list('values').forEach((v, i) => {
      const props = (v as Record<string, unknown>)['properties'] as
        | Record<string, unknown>
        | undefined;
      const prefixes = props?.['addressPrefixes'];
      if (Array.isArray(prefixes))
        prefixes.forEach((p, j) => push(p, `values[${i}].properties.addressPrefixes[${j}]`));
    });
    return [...new Set(out)];
  }
  trimmed.split('\n').forEach((line, i) => {
    const l = line.replace(/#.*/, '').trim();
    if (l !== '') push(l, `line ${i + 1}`);
  });
  return [...new Set(out)];
}
