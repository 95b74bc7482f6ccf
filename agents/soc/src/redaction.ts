/**
 * Secret redaction for anything a language model will read. The raw event stays in the
 * finding as evidence (audit trail, `vigil trace`); only the copy shown to a model — and
 * any model text on its way out — passes through here. Redaction is by structure (Secret
 * `data`/`stringData`, fields named like credentials) and by content (bearer and basic
 * credentials, PEM private keys, URL passwords, `password=` arguments, well-known token
 * shapes, high-entropy strings).
 */

/** What replaces a secret value. */
export const REDACTED = '[redacted]';

/** Field names whose values are credentials (not their names, references or counts). */
const SECRET_KEY =
  /(^|[^a-z])(pass(word|wd|phrase)?|pwd|secret|token|api[-_.]?key|access[-_.]?key|private[-_.]?key|client[-_.]?secret|credentials?|authorization|cookie|session[-_.]?id)([^a-z]|$)/i;
const NOT_A_VALUE = /(name|names|ref|refs|kind|type|id|ids|count|path|file|mount|reads|secrets)$/i;

/** Substrings that are credentials wherever they appear. */
const TEXT_PATTERNS: readonly [RegExp, (match: string, ...groups: string[]) => string][] = [
  [
    /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z0-9 ]*PRIVATE KEY-----|$)/g,
    () => REDACTED,
  ],
  [/\b(Bearer|Basic|Token)\s+[A-Za-z0-9._~+/=-]{8,}/gi, (_m, scheme) => `${scheme} ${REDACTED}`],
  // scheme://user:password@host
  [/\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@]+):[^\s@/]+@/gi, (_m, head) => `${head}:${REDACTED}@`],
  // password=…, --password …, "token": "…" in free text, mysql -pSECRET
  [
    /\b((?:--?)?(?:pass(?:word|wd)?|pwd|secret|token|api[-_]?key|access[-_]?key)\b["']?\s*[:=\s]\s*["']?)([^\s"',;&]{3,})/gi,
    (_m, head) => `${head}${REDACTED}`,
  ],
  [/(\s-p)(?=[^\s-])\S{3,}/g, (_m, head) => `${head}${REDACTED}`],
  // JSON Web Tokens
  [/\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*/g, () => REDACTED],
  // Well-known token shapes: AWS access key ids, GitHub, GitLab, Slack, OpenAI-style keys
  [
    /\b(AKIA|ASIA)[0-9A-Z]{16}\b|\bgh[pousr]_[A-Za-z0-9]{20,}\b|\bglpat-[A-Za-z0-9_-]{20,}\b|\bxox[abprs]-[A-Za-z0-9-]{10,}\b|\bsk-[A-Za-z0-9_-]{16,}\b/g,
    () => REDACTED,
  ],
];

/** Bits per character of `s` (Shannon). */
function entropy(s: string): number {
  const counts = new Map<string, number>();
  for (const ch of s) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let h = 0;
  for (const n of counts.values()) h -= (n / s.length) * Math.log2(n / s.length);
  return h;
}

/**
 * A random-looking token: 24+ characters of the base64 alphabet mixing at least two of
 * upper case, lower case and digits, at ≥ 4 bits of entropy per character. Hex-only
 * strings (image digests, container ids) and words, paths and names are evidence, kept.
 */
function isHighEntropy(token: string): boolean {
  if (token.length < 24 || /^[0-9a-f]+$/i.test(token)) return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/].filter((r) => r.test(token)).length;
  return classes >= 2 && entropy(token) >= 4;
}

/** Redacts credentials inside one string. */
export function redactSecretText(text: string): string {
  let out = text;
  for (const [pattern, replace] of TEXT_PATTERNS)
    out = out.replace(pattern, replace as (m: string, ...g: string[]) => string);
  return out.replace(/[A-Za-z0-9+/=_]{24,}/g, (t) => (isHighEntropy(t) ? REDACTED : t));
}

function isSecretKey(key: string): boolean {
  // Kubernetes annotations (`authorization.k8s.io/decision`) are evidence, not credentials.
  return SECRET_KEY.test(key) && !NOT_A_VALUE.test(key) && !key.includes('k8s.io/');
}

function redactAll(value: unknown): unknown {
  if (value === null || value === undefined) return value;
  if (Array.isArray(value)) return value.map(redactAll);
  if (typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, redactAll(v)]));
  return REDACTED;
}

/** True for an object that is, or is an audit record about, a Kubernetes Secret. */
function isSecretContext(o: Record<string, unknown>): boolean {
  if (o['kind'] === 'Secret') return true;
  const ref = o['objectRef'] as { resource?: unknown } | undefined;
  const resource = o['resource'] as { type?: unknown } | undefined;
  return ref?.resource === 'secrets' || resource?.type === 'secrets';
}

/**
 * A deep copy of `value` with secret material replaced by {@link REDACTED}. Within a
 * Secret (or an audit record of one), every value under `data` / `stringData` is redacted
 * and their keys kept; fields named like credentials lose their values; every string is
 * passed through {@link redactSecretText}. Never mutates `value`; cycles are cut.
 */
export function redactSecrets<T>(value: T): T {
  const seen = new WeakSet<object>();
  const walk = (v: unknown, inSecret: boolean, depth: number): unknown => {
    if (typeof v === 'string') return redactSecretText(v);
    if (v === null || typeof v !== 'object') return v;
    if (seen.has(v) || depth > 64) return REDACTED;
    seen.add(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, inSecret, depth + 1));
    const o = v as Record<string, unknown>;
    const secret = inSecret || isSecretContext(o);
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(o)) {
      if (secret && (k === 'data' || k === 'stringData' || k === 'binaryData'))
        out[k] = redactAll(x);
      else if (isSecretKey(k) && (typeof x !== 'object' || x === null || Array.isArray(x)))
        out[k] = redactAll(x);
      else out[k] = walk(x, secret, depth + 1);
    }
    return out;
  };
  return walk(value, false, 0) as T;
}
