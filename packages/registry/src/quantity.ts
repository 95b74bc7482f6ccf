/**
 * Kubernetes resource quantities (`256Mi`, `1Gi`, `500m`, `0.5`), parsed the way the
 * Kubernetes API server reads them (k8s.io/apimachinery `resource.Quantity`): a decimal
 * number followed by a binary suffix (Ki Mi Gi Ti Pi Ei), a decimal suffix (m k M G T P E)
 * or a decimal exponent (`e3`).
 */

const SUFFIXES: Readonly<Record<string, number>> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

const QUANTITY = /^(\d+(?:\.\d*)?|\.\d+)(Ki|Mi|Gi|Ti|Pi|Ei|[mkMGTPE]|[eE][+-]?\d+)?$/;

/** A parse result: the value, or a message that says what is wrong. */
export type QuantityResult =
  | { ok: true; value: number }
  | { ok: false; message: string; hint?: string };

/** The smallest memory limit an agent may declare: a Node.js process needs about this much. */
export const MIN_AGENT_MEMORY_BYTES = 32 * 2 ** 20;

/** Parses a quantity into its plain numeric value (`1Ki` → 1024, `500m` → 0.5). */
export function parseQuantity(text: string): QuantityResult {
  const match = QUANTITY.exec(text.trim());
  if (match === null) {
    return {
      ok: false,
      message: `"${text}" is not a Kubernetes quantity (for example 256Mi, 1Gi, 500m, 2)`,
    };
  }
  const number = Number(match[1]);
  const suffix = match[2] ?? '';
  const multiplier = /^[eE]/.test(suffix) ? 10 ** Number(suffix.slice(1)) : SUFFIXES[suffix];
  if (multiplier === undefined || !Number.isFinite(number * multiplier)) {
    return { ok: false, message: `"${text}" is out of range` };
  }
  return { ok: true, value: number * multiplier };
}

/** A hint for the common ways people write memory sizes that Kubernetes does not accept. */
function memoryHint(text: string): string | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([kKmMgGtT])i?[bB]?$/.exec(text.trim());
  if (m === null) return undefined;
  return `did you mean "${m[1]}${(m[2] ?? '').toUpperCase()}i"?`;
}

/**
 * Parses a memory quantity into whole bytes (rounded up, as Kubernetes does). Refuses the
 * milli suffix (`512m` is half a byte, always a typo for `512Mi`) and anything below
 * {@link MIN_AGENT_MEMORY_BYTES}.
 */
export function parseMemoryQuantity(input: string | number): QuantityResult {
  const text = String(input);
  if (/^\d+(?:\.\d+)?m$/.test(text.trim())) {
    return {
      ok: false,
      message: `"${text}" means ${text.trim().slice(0, -1)} thousandths of a byte`,
      hint: `did you mean "${text.trim().slice(0, -1)}Mi"?`,
    };
  }
  const parsed = parseQuantity(text);
  if (!parsed.ok) {
    return { ok: false, message: parsed.message, hint: memoryHint(text) };
  }
  const bytes = Math.ceil(parsed.value);
  if (bytes < MIN_AGENT_MEMORY_BYTES) {
    return {
      ok: false,
      message: `"${text}" is ${bytes} bytes; an agent needs at least 32Mi (${MIN_AGENT_MEMORY_BYTES} bytes)`,
    };
  }
  return { ok: true, value: bytes };
}

/** Parses a CPU quantity into millicores (rounded up): `500m` → 500, `2` → 2000, `0.25` → 250. */
export function parseCpuQuantity(input: string | number): QuantityResult {
  const text = String(input);
  const parsed = parseQuantity(text);
  if (!parsed.ok) return parsed;
  const millis = Math.ceil(parsed.value * 1000 - 1e-9);
  if (millis < 1) {
    return { ok: false, message: `"${text}" is less than 1m (one thousandth of a CPU)` };
  }
  return { ok: true, value: millis };
}
