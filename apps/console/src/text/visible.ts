/**
 * Event fields are attacker-controlled text. They are shown as text (React never parses
 * them as HTML) and, before that, every character that would change how the text around
 * it looks without being seen itself is replaced by a visible marker: C0/C1 controls,
 * bidirectional embeddings, overrides and isolates (the "Trojan Source" characters,
 * CVE-2021-42574), zero-width and other format characters, Unicode tag characters (used
 * to smuggle hidden instructions), line/paragraph separators and lone surrogates.
 */

/** One run of a field: plain text to show as it is, or a marker for an invisible character. */
export type VisibleSegment =
  | { readonly kind: 'text'; readonly text: string }
  | {
      readonly kind: 'marker';
      /** The marker shown in place of the character, e.g. `⟨RLO⟩`. */
      readonly text: string;
      /** `U+202E RIGHT-TO-LEFT OVERRIDE`: what the character is, for a tooltip. */
      readonly title: string;
      readonly codePoint: number;
    };

/** Short names of the characters people meet; the rest are shown by code point. */
const NAMES: Readonly<Record<number, readonly [short: string, name: string]>> = {
  0x00: ['NUL', 'NULL'],
  0x07: ['BEL', 'BELL'],
  0x08: ['BS', 'BACKSPACE'],
  0x09: ['TAB', 'CHARACTER TABULATION'],
  0x0a: ['LF', 'LINE FEED'],
  0x0b: ['VT', 'LINE TABULATION'],
  0x0c: ['FF', 'FORM FEED'],
  0x0d: ['CR', 'CARRIAGE RETURN'],
  0x1b: ['ESC', 'ESCAPE'],
  0x7f: ['DEL', 'DELETE'],
  0x85: ['NEL', 'NEXT LINE'],
  0xad: ['SHY', 'SOFT HYPHEN'],
  0x34f: ['CGJ', 'COMBINING GRAPHEME JOINER'],
  0x61c: ['ALM', 'ARABIC LETTER MARK'],
  0x180e: ['MVS', 'MONGOLIAN VOWEL SEPARATOR'],
  0x200b: ['ZWSP', 'ZERO WIDTH SPACE'],
  0x200c: ['ZWNJ', 'ZERO WIDTH NON-JOINER'],
  0x200d: ['ZWJ', 'ZERO WIDTH JOINER'],
  0x200e: ['LRM', 'LEFT-TO-RIGHT MARK'],
  0x200f: ['RLM', 'RIGHT-TO-LEFT MARK'],
  0x2028: ['LSEP', 'LINE SEPARATOR'],
  0x2029: ['PSEP', 'PARAGRAPH SEPARATOR'],
  0x202a: ['LRE', 'LEFT-TO-RIGHT EMBEDDING'],
  0x202b: ['RLE', 'RIGHT-TO-LEFT EMBEDDING'],
  0x202c: ['PDF', 'POP DIRECTIONAL FORMATTING'],
  0x202d: ['LRO', 'LEFT-TO-RIGHT OVERRIDE'],
  0x202e: ['RLO', 'RIGHT-TO-LEFT OVERRIDE'],
  0x2060: ['WJ', 'WORD JOINER'],
  0x2061: ['FA', 'FUNCTION APPLICATION'],
  0x2062: ['IT', 'INVISIBLE TIMES'],
  0x2063: ['IS', 'INVISIBLE SEPARATOR'],
  0x2064: ['IP', 'INVISIBLE PLUS'],
  0x2066: ['LRI', 'LEFT-TO-RIGHT ISOLATE'],
  0x2067: ['RLI', 'RIGHT-TO-LEFT ISOLATE'],
  0x2068: ['FSI', 'FIRST STRONG ISOLATE'],
  0x2069: ['PDI', 'POP DIRECTIONAL ISOLATE'],
  0x3164: ['HF', 'HANGUL FILLER'],
  0xfeff: ['BOM', 'ZERO WIDTH NO-BREAK SPACE'],
  0xfffc: ['OBJ', 'OBJECT REPLACEMENT CHARACTER'],
};

/**
 * Controls (Cc), format characters (Cf: bidi controls, zero-width characters, tags),
 * line and paragraph separators, unpaired surrogates, the Hangul fillers and variation
 * selectors that render as nothing.
 */
const INVISIBLE =
  /[\p{Cc}\p{Cf}\p{Zl}\p{Zp}\u115f\u1160\u3164\uffa0]|\u034f|\p{Cs}|\p{Variation_Selector}/u;

/** Whether `char` (one code point) is made visible by {@link visibleSegments}. */
export function isInvisible(char: string): boolean {
  return INVISIBLE.test(char);
}

function hex(codePoint: number): string {
  return `U+${codePoint.toString(16).toUpperCase().padStart(4, '0')}`;
}

function marker(codePoint: number): VisibleSegment {
  const known = NAMES[codePoint];
  if (known)
    return {
      kind: 'marker',
      text: `⟨${known[0]}⟩`,
      title: `${hex(codePoint)} ${known[1]}`,
      codePoint,
    };
  if (codePoint >= 0xe0000 && codePoint <= 0xe007f) {
    // A tag character spells an ASCII letter invisibly: show which.
    const ascii = codePoint - 0xe0000;
    const shown =
      ascii > 0x20 && ascii < 0x7f ? `TAG ${String.fromCharCode(ascii)}` : `TAG ${hex(codePoint)}`;
    return {
      kind: 'marker',
      text: `⟨${shown}⟩`,
      title: `${hex(codePoint)} TAG CHARACTER`,
      codePoint,
    };
  }
  if (codePoint >= 0xd800 && codePoint <= 0xdfff)
    return {
      kind: 'marker',
      text: `⟨${hex(codePoint)}⟩`,
      title: `${hex(codePoint)} UNPAIRED SURROGATE`,
      codePoint,
    };
  return {
    kind: 'marker',
    text: `⟨${hex(codePoint)}⟩`,
    title: `${hex(codePoint)} invisible or control character`,
    codePoint,
  };
}

/**
 * Splits `value` into plain runs and markers, one marker per invisible code point, so
 * that concatenating the plain runs with the markers' `text` is what a person should
 * read. Iterates by code point (a surrogate pair is one character; a lone surrogate is
 * marked, never passed through).
 */
export function visibleSegments(value: string): VisibleSegment[] {
  const segments: VisibleSegment[] = [];
  let plain = '';
  for (const char of value) {
    if (!INVISIBLE.test(char)) {
      plain += char;
      continue;
    }
    if (plain) segments.push({ kind: 'text', text: plain });
    plain = '';
    segments.push(marker(char.codePointAt(0)!));
  }
  if (plain) segments.push({ kind: 'text', text: plain });
  return segments;
}

/** {@link visibleSegments} as one string: what the console shows for `value`. */
export function visibleText(value: string): string {
  return visibleSegments(value)
    .map((s) => s.text)
    .join('');
}

function visibleValue(value: unknown): unknown {
  if (typeof value === 'string') return visibleText(value);
  if (Array.isArray(value)) return value.map(visibleValue);
  if (value && typeof value === 'object')
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [visibleText(k), visibleValue(v)]),
    );
  return value;
}

/**
 * Any JSON value as indented text whose keys and strings went through
 * {@link visibleText} (a key can carry a bidi override as well as a value can); the
 * layout's own line breaks stay line breaks.
 */
export function visibleJson(value: unknown): string {
  return JSON.stringify(visibleValue(value), null, 2) ?? String(value);
}
