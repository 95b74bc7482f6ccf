/**
 * Feature extraction: one `SecurityEvent` → a fixed-length row of numbers for the
 * Isolation Forest, written into a caller-owned Float64Array. The columns, in order, are
 * {@link FEATURE_NAMES}; `docs/detector-model.md` documents each one.
 *
 * - Categorical fields and field pairs are *rarity encoded*: the value becomes
 *   ln(1 + n), n the number of baseline events that had it. A value never seen in the
 *   baseline encodes to 0, below every baseline value, so the forest isolates it quickly.
 *   A missing field is a value of its own (the key `∅`), counted like any other, so
 *   "Falco alerts have no resource" is normal and "this API call has no user" is not.
 * - Numeric fields are used as they are (absent → 0).
 * - Rates: events in the last minute by the same user, source address and pod, from
 *   bounded sliding-window counters ({@link EntityRates}).
 */
import type { SecurityEvent } from '../events/security-event.js';
import { DetectorModelError } from './errors.js';
import { CategoryCounts, PART_SEPARATOR, type Arity } from './category-counts.js';
import { SlidingWindowCounter, type SlidingWindowOptions } from './rate-window.js';
import { AddressClassifier } from './address-class.js';
import { REQUEST_RISK_COUNT, REQUEST_RISK_NAMES, requestRiskInto } from './request-risk.js';

/** Key of a missing field in the frequency tables. */
export const MISSING = '∅';

/**
 * The categorical (rarity-encoded) columns, in order; {@link categoricalValuesInto} reads
 * their values. Pairs: each part may be common while the combination was never seen.
 */
const CATEGORICAL_NAMES = [
  'activity',
  'resource.type',
  'resource.subresource',
  'actor.user',
  'actor.userClass',
  'actor.userAgentFamily',
  'namespace',
  'workload.image',
  'process.name',
  'process.parentName',
  'rule',
  'sourceIp',
  'network.dstIp',
  'network.dstPort',
  'network.dstPrefix',
  'eventClass',
  'actor.addressClass',
  'outcome.class',
  'pair.user.activity.resource',
  'pair.userClass.activity.resource',
  'pair.user.namespace',
  'pair.image.process',
  'pair.image.dstIp',
  'pair.image.dstPrefix',
  'pair.activity.resource.subresource',
  'pair.userClass.addressClass',
  'request.riskProfile',
] as const;

/** Number of categorical columns: the first columns of a row. */
const CATEGORICAL_COUNT = CATEGORICAL_NAMES.length;

/** Where {@link categoricalPartsInto} writes the identity class. */
const USER_CLASS_PART = 3 * CATEGORICAL_NAMES.indexOf('actor.userClass');

/** Parts per categorical value (column order of {@link CATEGORICAL_FEATURES}): the pairs (from `pair.` on) are (a, b, c) tuples. */
export const CATEGORICAL_ARITY: readonly Arity[] = CATEGORICAL_NAMES.map((name) =>
  name.startsWith('pair.') ? 3 : 1,
);

/**
 * Writes the parts of every categorical column's value of `e` to `out`: column i at
 * `out[3i…3i+3)` (a single-part value in `out[3i]`). One function rather than one reader
 * per column, so that what several columns share (user class, image repository, resource
 * key, destination network) is derived once per event, and no pair is joined into a new
 * string (see {@link CategoryCounts}).
 */
function categoricalPartsInto(
  e: SecurityEvent,
  out: string[],
  addresses: AddressClassifier,
  riskProfile: string,
): void {
  const user = e.actor.user ?? MISSING;
  const cls = userClass(e);
  const activity = e.activity || MISSING;
  const resource = resourceKey(e) ?? MISSING;
  const namespace = namespaceOf(e) ?? MISSING;
  const image = imageRepository(e.workload?.image);
  const network = e.network;
  const dstIp = network?.dstIp;
  const prefix = dstIp === undefined ? MISSING : addressPrefix(dstIp);
  const processName = e.process?.name ?? MISSING;
  const parentName = e.process?.parentName ?? MISSING;
  const ip = dstIp ?? MISSING;
  out[0] = activity;
  out[3] = e.resource?.type ?? MISSING;
  out[6] = e.resource?.subresource ?? MISSING;
  out[9] = user;
  out[USER_CLASS_PART] = cls;
  out[15] = userAgentFamily(e.actor.userAgent);
  out[18] = namespace;
  out[21] = image;
  out[24] = processName;
  out[27] = parentName;
  out[30] = e.rule ?? MISSING;
  out[33] = sourceIpOf(e) ?? MISSING;
  out[36] = ip;
  out[39] = network?.dstPort === undefined ? MISSING : String(network.dstPort);
  out[42] = prefix;
  out[45] = formatClassOf(e.format, e.classUid);
  const addressClass = addresses.classify(sourceIpOf(e));
  out[48] = addressClass;
  out[51] = responseClass(e.outcome?.code);
  triple(out, 54, user, activity, resource);
  triple(out, 57, cls, activity, resource);
  triple(out, 60, user, namespace, '');
  triple(out, 63, image, processName, parentName);
  triple(out, 66, image, ip, '');
  triple(out, 69, image, prefix, '');
  triple(out, 72, activity, e.resource?.type ?? MISSING, e.resource?.subresource ?? MISSING);
  triple(out, 75, cls, addressClass, '');
  out[78] = riskProfile;
}

/**
 * The names of the request risk counters that are non-zero (`privileged+hostPath`), or
 * {@link MISSING}. Why a categorical column beside the counters: a baseline without
 * privileged pods has the counters constant at 0, and an Isolation Forest never splits
 * on a column constant in its sample; as a category, a never-seen risk profile encodes
 * to 0 and counts in the rarity aggregates, which do vary in every baseline.
 */
function riskProfileOf(risk: Float64Array): string {
  let profile = '';
  for (let i = 0; i < REQUEST_RISK_COUNT; i++)
    if (risk[i]! > 0)
      profile = profile === '' ? REQUEST_RISK_NAMES[i]! : `${profile}+${REQUEST_RISK_NAMES[i]!}`;
  return profile === '' ? MISSING : profile;
}

function triple(out: string[], at: number, a: string, b: string, c: string): void {
  out[at] = a;
  out[at + 1] = b;
  out[at + 2] = c;
}

/** The numeric columns, used as they are. */
const NUMERIC: readonly (readonly [string, (e: SecurityEvent) => number])[] = [
  ['severityId', (e) => finiteOr0(e.severityId)],
  ['outcome.code', (e) => finiteOr0(e.outcome?.code)],
  ['outcome.forbidden', (e) => (e.outcome?.decision === 'forbid' ? 1 : 0)],
  ['network.dstPortNumber', (e) => finiteOr0(e.network?.dstPort)],
  // Volume sent to the destination (OCSF `traffic.bytes_out`): exfiltration is a large
  // upload, which neither the address nor its rarity shows.
  ['network.bytesOut', (e) => finiteOr0(e.network?.bytesOut)],
];

/**
 * Aggregate rarity columns over all categorical columns: how many of the event's values
 * were never seen in the baseline, and its total surprisal Σ ln((N + 1) / (n + 1)). They
 * let one split see what is rare *jointly*, which single random splits mostly miss.
 */
const AGGREGATES: readonly string[] = ['rarity.unseen', 'rarity.surprisal'];

/** The rate columns: events in the window by the same entity (0 when the event has none). */
const RATES: readonly (readonly [string, (e: SecurityEvent) => string | undefined])[] = [
  ['rate.user', (e) => e.actor.user],
  ['rate.sourceIp', (e) => sourceIpOf(e)],
  [
    'rate.pod',
    (e) => (e.workload?.pod ? `${e.workload.namespace ?? ''}/${e.workload.pod}` : undefined),
  ],
];

/** Column names, in order. A model file records them and is refused if they differ. */
export const FEATURE_NAMES: readonly string[] = Object.freeze([
  ...CATEGORICAL_NAMES,
  ...NUMERIC.map(([name]) => name),
  ...REQUEST_RISK_NAMES,
  ...AGGREGATES,
  ...RATES.map(([name]) => name),
]);

/** Column of `rarity.unseen`, the number of the event's values the baseline never had. */
export const UNSEEN_COLUMN = FEATURE_NAMES.indexOf('rarity.unseen');

/** Number of columns of a feature row. */
export const FEATURE_COUNT = FEATURE_NAMES.length;

/** Names of the rarity-encoded columns (the keys of {@link FeatureEncodings}). */
export const CATEGORICAL_FEATURES: readonly string[] = Object.freeze([...CATEGORICAL_NAMES]);

/** Baseline value counts per categorical column: what a model file stores. */
export type FeatureEncodings = Readonly<Record<string, readonly (readonly [string, number])[]>>;

/** Per-entity sliding-window counters shared by feature extraction. Survives model swaps. */
export class EntityRates {
  readonly byUser: SlidingWindowCounter;
  readonly bySourceIp: SlidingWindowCounter;
  readonly byPod: SlidingWindowCounter;
  private readonly counters: readonly SlidingWindowCounter[];

  constructor(options: SlidingWindowOptions = {}) {
    this.byUser = new SlidingWindowCounter(options);
    this.bySourceIp = new SlidingWindowCounter(options);
    this.byPod = new SlidingWindowCounter(options);
    this.counters = [this.byUser, this.bySourceIp, this.byPod];
  }

  /** Records the event for each of its entities; writes the window counts to `out[offset…+3)`. */
  recordInto(event: SecurityEvent, nowMs: number, out: Float64Array, offset: number): void {
    for (let i = 0; i < RATES.length; i++) {
      const key = RATES[i]![1](event);
      out[offset + i] = key === undefined || key === '' ? 0 : this.counters[i]!.record(key, nowMs);
    }
  }
}

/**
 * The learned part of feature extraction: the baseline frequency of every categorical
 * value. Immutable; `extractInto` is safe to call from any scorer.
 */
export class FeatureEncoder {
  /** Per categorical column: value → baseline count. */
  private readonly tables: readonly CategoryCounts[];
  /** Per categorical column: ln(N + 1), N the column's total count. */
  private readonly logTotals: Float64Array;
  readonly encodings: FeatureEncodings;
  /**
   * Scratch for one event's categorical value parts. Sharing it between scorers is safe:
   * extraction is synchronous and never re-entered, and it spares an array per event.
   */
  private readonly parts = newPartsScratch();
  /** Per categorical column of the last extracted event: 1 when the baseline never had its value. */
  private readonly unseen = new Uint8Array(CATEGORICAL_COUNT);
  /** The last extracted event's request risk counters (scratch, like `parts`). */
  private readonly risk = new Float64Array(REQUEST_RISK_COUNT);
  readonly addresses: AddressClassifier;

  private constructor(encodings: FeatureEncodings, cloudRanges: readonly string[]) {
    this.encodings = encodings;
    this.addresses = new AddressClassifier(cloudRanges);
    this.logTotals = new Float64Array(CATEGORICAL_COUNT);
    this.tables = CATEGORICAL_NAMES.map((name, i) => {
      const table = new CategoryCounts(CATEGORICAL_ARITY[i]!);
      for (const [value, count] of encodings[name] ?? []) table.addJoined(value, count);
      this.logTotals[i] = Math.log1p(table.total);
      return table;
    });
  }

  /**
   * Counts every categorical value over `events`. Per column at most `maxValues` values
   * are kept, the most frequent (ties by value, for reproducibility); the rest are treated
   * as never seen.
   */
  static learn(
    events: Iterable<SecurityEvent>,
    options: { maxValues?: number; cloudRanges?: readonly string[] } = {},
  ): FeatureEncoder {
    const maxValues = options.maxValues ?? 100_000;
    const cloudRanges = options.cloudRanges ?? [];
    const addresses = new AddressClassifier(cloudRanges);
    const counts = CATEGORICAL_ARITY.map((arity) => new CategoryCounts(arity));
    const parts = newPartsScratch();
    const risk = new Float64Array(REQUEST_RISK_COUNT);
    for (const event of events) {
      requestRiskInto(event.requestObject, risk, 0);
      categoricalPartsInto(event, parts, addresses, riskProfileOf(risk));
      for (let i = 0; i < CATEGORICAL_COUNT; i++) {
        counts[i]!.add(parts[3 * i]!, parts[3 * i + 1]!, parts[3 * i + 2]!, 1);
      }
    }
    const encodings: Record<string, (readonly [string, number])[]> = {};
    for (let i = 0; i < CATEGORICAL_COUNT; i++) {
      const entries = [...counts[i]!.entries()];
      entries.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
      encodings[CATEGORICAL_NAMES[i]!] = entries.slice(0, maxValues);
    }
    return new FeatureEncoder(encodings, cloudRanges);
  }

  /**
   * Rebuilds an encoder from stored encodings, checking their shape.
   * @throws DetectorModelError `VIGIL_DETECTOR_MODEL_INVALID` naming the bad field.
   */
  static fromEncodings(
    encodings: unknown,
    path = 'encodings',
    cloudRanges: readonly string[] = [],
  ): FeatureEncoder {
    if (typeof encodings !== 'object' || encodings === null || Array.isArray(encodings)) {
      throw invalid(`${path}: must be an object of value-count lists`, path);
    }
    const record = encodings as Record<string, unknown>;
    const out: Record<string, (readonly [string, number])[]> = {};
    for (const name of CATEGORICAL_FEATURES) {
      const list = record[name];
      if (!Array.isArray(list))
        throw invalid(`${path}.${name}: missing or not an array`, `${path}.${name}`);
      const entries: (readonly [string, number])[] = [];
      for (let i = 0; i < list.length; i++) {
        const entry: unknown = list[i];
        if (
          !Array.isArray(entry) ||
          entry.length !== 2 ||
          typeof entry[0] !== 'string' ||
          typeof entry[1] !== 'number' ||
          !Number.isInteger(entry[1]) ||
          entry[1] < 1
        ) {
          throw invalid(
            `${path}.${name}[${i}]: must be [value, count ≥ 1]`,
            `${path}.${name}[${i}]`,
          );
        }
        entries.push([entry[0], entry[1]]);
      }
      out[name] = entries;
    }
    for (const name of Object.keys(record)) {
      if (!CATEGORICAL_FEATURES.includes(name)) {
        throw invalid(
          `${path}.${name}: unknown feature (this build has ${CATEGORICAL_FEATURES.length} categorical features)`,
          `${path}.${name}`,
        );
      }
    }
    return new FeatureEncoder(out, cloudRanges);
  }

  /**
   * The encoded (ln(1 + count)) value of `value` in categorical column `name`: 0 if never
   * seen. A pair's value is given joined, its parts separated by {@link PART_SEPARATOR}.
   */
  encode(name: string, value: string): number {
    const i = CATEGORICAL_FEATURES.indexOf(name);
    if (i < 0) throw new RangeError(`no categorical feature ${name}`);
    const table = this.tables[i]!;
    const [a = '', b = '', c = ''] = table.arity === 1 ? [value] : value.split(PART_SEPARATOR);
    return Math.log1p(table.get(a, b, c));
  }

  /**
   * Writes the {@link FEATURE_COUNT} features of `event` to `out[offset…]`, recording the
   * event in `rates` at `nowMs` (default: the event's own time).
   *
   * `leaveOneOut` is for the baseline's own rows during training: each count then
   * excludes the event itself (n − 1), so a value seen once in the baseline encodes like a
   * value never seen — the honest view of how rare it is, without which the forest would
   * learn that baseline singletons are more common than they are.
   */
  extractInto(
    event: SecurityEvent,
    rates: EntityRates,
    out: Float64Array,
    offset = 0,
    nowMs = event.time,
    leaveOneOut = false,
  ): void {
    let k = offset;
    const self = leaveOneOut ? 1 : 0;
    let unseen = 0;
    let surprisal = 0;
    const parts = this.parts;
    const tables = this.tables;
    const flags = this.unseen;
    const risk = this.risk;
    requestRiskInto(event.requestObject, risk, 0);
    categoricalPartsInto(event, parts, this.addresses, riskProfileOf(risk));
    for (let i = 0; i < CATEGORICAL_COUNT; i++) {
      const seen = tables[i]!.get(parts[3 * i]!, parts[3 * i + 1]!, parts[3 * i + 2]!);
      const n = seen === 0 ? 0 : Math.max(0, seen - self);
      flags[i] = n === 0 ? 1 : 0;
      if (n === 0) unseen++;
      const ln1n = n < LOG1P_TABLE_SIZE ? LOG1P_TABLE[n]! : Math.log1p(n);
      surprisal += this.logTotals[i]! - ln1n;
      out[k++] = ln1n;
    }
    for (let i = 0; i < NUMERIC.length; i++) out[k++] = NUMERIC[i]![1](event);
    for (let i = 0; i < REQUEST_RISK_COUNT; i++) out[k++] = risk[i]!;
    out[k++] = unseen;
    out[k++] = surprisal;
    rates.recordInto(event, Number.isFinite(nowMs) ? nowMs : 0, out, k);
  }

  /**
   * The identity class ({@link userClass}) of the event last passed to {@link extractInto},
   * as extraction derived it — so the scorer's novelty gate does not derive it again. Valid
   * only until the next extraction (the parts live in shared scratch).
   */
  lastUserClass(): string {
    return this.parts[USER_CLASS_PART]!;
  }

  /**
   * Calls `fn` for each categorical column of the event last passed to {@link extractInto}
   * whose value the baseline never had, with the column index and the value's parts. Valid
   * only until the next extraction (the parts live in shared scratch).
   */
  forEachUnseen(fn: (column: number, a: string, b: string, c: string) => void): void {
    const parts = this.parts;
    for (let i = 0; i < CATEGORICAL_COUNT; i++)
      if (this.unseen[i] === 1) fn(i, parts[3 * i]!, parts[3 * i + 1]!, parts[3 * i + 2]!);
  }
}

/**
 * ln(1 + n) for the small counts most values have: a table read instead of 27 `log1p`
 * calls per event (bit-identical: the table holds `Math.log1p`'s own results).
 */
const LOG1P_TABLE_SIZE = 4096;
const LOG1P_TABLE = Float64Array.from({ length: LOG1P_TABLE_SIZE }, (_, n) => Math.log1p(n));

/** A parts array for {@link categoricalPartsInto}, unused slots filled (one hidden class, one element kind). */
function newPartsScratch(): string[] {
  return new Array<string>(3 * CATEGORICAL_COUNT).fill('');
}

/**
 * Managed Kubernetes providers' own control-plane identities, which do not use the
 * `system:` prefix: EKS `eks:*`, AKS `aksService` / `masterclient` / `hcpService`.
 */
const PROVIDER_CONTROL_PLANE = ['eks:', 'aksService', 'masterclient', 'hcpService'] as const;

/**
 * The identity class: `anonymous` (`system:anonymous` or group `system:unauthenticated`),
 * `node` (`system:node:*`, group `system:nodes`, AKS `nodeclient`), `service-account`
 * (`system:serviceaccount:*`), `control-plane` (other `system:` users — scheduler,
 * controller manager, kube-proxy, the API server itself — and the managed providers' own
 * identities), `human` (anything else), or `none` (no user: a Falco or flow event).
 */
export function userClass(e: SecurityEvent): string {
  const user = e.actor.user;
  if (user === undefined || user === '') return 'none';
  const groups = e.actor.groups;
  if (user === 'system:anonymous' || groups?.includes('system:unauthenticated')) return 'anonymous';
  if (user.startsWith('system:serviceaccount:')) return 'service-account';
  if (user.startsWith('system:node:') || user === 'nodeclient' || groups?.includes('system:nodes'))
    return 'node';
  if (user.startsWith('system:')) return 'control-plane';
  // A loop, not `some` with a closure over `user`: this runs for every event.
  for (const prefix of PROVIDER_CONTROL_PLANE) if (user.startsWith(prefix)) return 'control-plane';
  return 'human';
}

/** HTTP status as a class: `2xx`, `3xx`, `401`, `403`, `404`, `409`, `429`, `4xx`, `5xx`, or `∅`. */
export function responseClass(code: number | undefined): string {
  if (code === undefined || !Number.isFinite(code)) return MISSING;
  // The classes of 100–599 are interned once: no string is built per event.
  if (Number.isInteger(code) && code >= 100 && code < 600) return RESPONSE_CLASSES[code - 100]!;
  return responseClassOf(code);
}

function responseClassOf(code: number): string {
  if (code === 401 || code === 403 || code === 404 || code === 409 || code === 429)
    return String(code);
  const hundreds = Math.floor(code / 100);
  return hundreds >= 1 && hundreds <= 5 ? `${hundreds}xx` : 'other';
}

const RESPONSE_CLASSES: readonly string[] = Array.from({ length: 500 }, (_, i) =>
  responseClassOf(100 + i),
);

/** The product token of a user agent: `kubectl/v1.30.1 (linux/amd64) …` → `kubectl`. */
export function userAgentFamily(userAgent: string | undefined): string {
  if (userAgent === undefined || userAgent === '') return MISSING;
  // A character scan rather than a regular expression: this runs for every API event.
  let end = 0;
  while (end < userAgent.length) {
    const ch = userAgent.charCodeAt(end);
    if (ch === 0x2f /* / */ || ch === 0x20 || ch === 0x28 /* ( */) break;
    end++;
  }
  return (end === userAgent.length ? userAgent : userAgent.slice(0, end)).toLowerCase() || MISSING;
}

/** An image reference without tag or digest: `ghcr.io/acme/api:1.2@sha256:…` → `ghcr.io/acme/api`. */
export function imageRepository(image: string | undefined): string {
  if (image === undefined || image === '') return MISSING;
  const at = image.indexOf('@');
  const noDigest = at < 0 ? image : image.slice(0, at);
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

/**
 * The network an address belongs to: IPv4 `/24` (`185.220.101.47` → `185.220.101.0/24`),
 * IPv6 `/48` (`2001:db8:7::1` → `2001:db8:7::/48`); an IPv4-mapped IPv6 address counts as
 * IPv4; anything else (a host name) is its own prefix. A /24 is the usual unit of
 * "same network" (and of a Kubernetes node's pod range), so a new pod or a new replica
 * behind a known service keeps a known prefix while a new outside party does not.
 */
export function addressPrefix(address: string): string {
  const lastDot = address.lastIndexOf('.');
  if (lastDot > 0) {
    const v4 = address.slice(address.lastIndexOf(':') + 1);
    const dot = v4.lastIndexOf('.');
    return isIpv4(v4) ? `${v4.slice(0, dot)}.0/24` : address;
  }
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.toLowerCase().split('::', 2);
  const groups = head === '' ? [] : head.split(':');
  // '::' stands for zero groups; a prefix ends at the third group.
  while (groups.length < 3 && tail !== undefined) groups.push('0');
  return groups.length >= 3 ? `${groups.slice(0, 3).join(':')}::/48` : address;
}

/** Dotted-quad IPv4: four decimal octets of 1–3 digits, each ≤ 255 (a scan: no allocation). */
function isIpv4(s: string): boolean {
  let octets = 0;
  let digits = 0;
  let value = 0;
  for (let i = 0; i <= s.length; i++) {
    const ch = i === s.length ? 0x2e /* . */ : s.charCodeAt(i);
    if (ch === 0x2e) {
      if (digits === 0 || value > 255) return false;
      octets++;
      digits = 0;
      value = 0;
    } else if (ch >= 0x30 && ch <= 0x39 && digits < 3) {
      value = value * 10 + (ch - 0x30);
      digits++;
    } else {
      return false;
    }
  }
  return octets === 4;
}

/**
 * `format/classUid` (`k8s-audit/6003`), interned per pair: the normaliser's formats and
 * OCSF classes are a handful, and this column is read for every event. Bounded, so
 * hand-built events with arbitrary formats cannot grow it without end.
 */
const FORMAT_CLASSES = new Map<string, Map<number, string>>();
const FORMAT_CLASSES_MAX = 256;
let formatClassCount = 0;

function formatClassOf(format: string, classUid: number): string {
  let byClass = FORMAT_CLASSES.get(format);
  const known = byClass?.get(classUid);
  if (known !== undefined) return known;
  const key = `${format}/${classUid}`;
  if (formatClassCount >= FORMAT_CLASSES_MAX) return key;
  if (byClass === undefined) FORMAT_CLASSES.set(format, (byClass = new Map()));
  byClass.set(classUid, key);
  formatClassCount++;
  return key;
}

function namespaceOf(e: SecurityEvent): string | undefined {
  return e.resource?.namespace ?? e.workload?.namespace;
}

function sourceIpOf(e: SecurityEvent): string | undefined {
  return e.actor.sourceIp ?? e.network?.srcIp;
}

function resourceKey(e: SecurityEvent): string | undefined {
  const r = e.resource;
  if (r === undefined) return undefined;
  return r.subresource ? `${r.type}/${r.subresource}` : r.type;
}

function finiteOr0(v: number | undefined): number {
  return v !== undefined && Number.isFinite(v) ? v : 0;
}

function invalid(message: string, field: string): DetectorModelError {
  return new DetectorModelError('VIGIL_DETECTOR_MODEL_INVALID', message, { details: { field } });
}
