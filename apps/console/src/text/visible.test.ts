import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isInvisible, visibleJson, visibleSegments, visibleText } from './visible.js';

test('plain text, including right-to-left letters and emoji, is passed through unchanged', () => {
  for (const s of [
    'kubectl exec -it web-1 -- sh',
    'مرحبا بالعالم',
    'שלום',
    '👩‍💻 naïve café'.replace('\u200d', ''),
  ])
    assert.equal(visibleText(s), s);
});

test('a Trojan Source override is shown as a named marker, never left to reorder the text', () => {
  const attack = 'access_level = "user\u202e \u2066// Check if admin\u2069 \u2066"';
  const shown = visibleText(attack);
  assert.equal(shown, 'access_level = "user⟨RLO⟩ ⟨LRI⟩// Check if admin⟨PDI⟩ ⟨LRI⟩"');
  for (const char of shown)
    assert.equal(isInvisible(char), false, `U+${char.codePointAt(0)!.toString(16)} left`);
});

test('every bidi control is marked: embeddings, overrides, isolates and marks', () => {
  const controls = [
    0x61c, 0x200e, 0x200f, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069,
  ];
  for (const cp of controls) {
    const segments = visibleSegments(`a${String.fromCodePoint(cp)}b`);
    assert.equal(segments.length, 3, `U+${cp.toString(16)}`);
    assert.equal(segments[1]?.kind, 'marker');
  }
});

test('zero-width characters, the BOM and the soft hyphen are marked', () => {
  assert.equal(visibleText('ad\u200bmin'), 'ad⟨ZWSP⟩min');
  assert.equal(visibleText('\ufeffroot'), '⟨BOM⟩root');
  assert.equal(visibleText('pay\u00adpal'), 'pay⟨SHY⟩pal');
  assert.equal(visibleText('a\u200c\u200d\u2060b'), 'a⟨ZWNJ⟩⟨ZWJ⟩⟨WJ⟩b');
});

test('control characters are marked: newlines, escapes (terminal injection), NUL and C1', () => {
  assert.equal(visibleText('line1\nline2\r\n'), 'line1⟨LF⟩line2⟨CR⟩⟨LF⟩');
  assert.equal(visibleText('\u001b[31mred\u001b[0m'), '⟨ESC⟩[31mred⟨ESC⟩[0m');
  assert.equal(visibleText('a\u0000b\u0085c\u009bd'), 'a⟨NUL⟩b⟨NEL⟩c⟨U+009B⟩d');
});

test('Unicode tag characters are marked with the letter they smuggle', () => {
  const hidden = [...'ignore'].map((c) => String.fromCodePoint(0xe0000 + c.charCodeAt(0))).join('');
  assert.equal(visibleText(`ok${hidden}`), 'ok⟨TAG i⟩⟨TAG g⟩⟨TAG n⟩⟨TAG o⟩⟨TAG r⟩⟨TAG e⟩');
});

test('a lone surrogate is marked; a surrogate pair stays one character', () => {
  assert.equal(visibleText('x\ud800y'), 'x⟨U+D800⟩y');
  assert.equal(visibleText('x\udc00'), 'x⟨U+DC00⟩');
  assert.equal(visibleText('\u{1f600}'), '\u{1f600}');
});

test('line and paragraph separators and variation selectors are marked', () => {
  assert.equal(visibleText('a\u2028b\u2029c'), 'a⟨LSEP⟩b⟨PSEP⟩c');
  assert.equal(visibleText('a\ufe0fb'), 'a⟨U+FE0F⟩b');
});

test('markers carry the code point and its name for a tooltip', () => {
  const [, rlo] = visibleSegments('a\u202eb');
  assert.deepEqual(rlo, {
    kind: 'marker',
    text: '⟨RLO⟩',
    title: 'U+202E RIGHT-TO-LEFT OVERRIDE',
    codePoint: 0x202e,
  });
});

test('JSON values are shown with their keys made visible too', () => {
  assert.equal(
    visibleJson({ 'us\u202eer': ['a\u200bb', 1, null] }),
    '{\n  "us⟨RLO⟩er": [\n    "a⟨ZWSP⟩b",\n    1,\n    null\n  ]\n}',
  );
  assert.equal(visibleJson(undefined), 'undefined');
});
