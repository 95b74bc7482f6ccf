/**
 * The bytes of a declaration → its text: at most {@link MAX_DECLARATION_BYTES}, strict
 * UTF-8 (a Latin-1 file is refused with the offset of its first bad byte, never decoded
 * to U+FFFD), one leading BOM dropped.
 */
import { isUtf8 } from 'node:buffer';
import { MAX_DECLARATION_BYTES, REGISTRY_ERROR_CODES, RegistryError } from './errors.js';

/** The error for a declaration of `size` bytes, larger than the cap. */
export function tooLargeError(source: string, size: number): RegistryError {
  return new RegistryError(
    REGISTRY_ERROR_CODES.tooLarge,
    `${source} is ${size} bytes; a declaration may be at most ${MAX_DECLARATION_BYTES} bytes (1 MiB)`,
    { source },
  );
}

/**
 * Offset of the first byte that does not start a well-formed UTF-8 sequence (RFC 3629:
 * no overlong forms, no surrogates, nothing above U+10FFFF), or undefined when all are.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number | undefined {
  if (isUtf8(bytes)) return undefined;
  let i = 0;
  while (i < bytes.length) {
    const lead = bytes[i]!;
    if (lead < 0x80) {
      i++;
      continue;
    }
    const length =
      lead >= 0xc2 && lead <= 0xdf
        ? 2
        : lead >= 0xe0 && lead <= 0xef
          ? 3
          : lead >= 0xf0 && lead <= 0xf4
            ? 4
            : 0;
    if (length === 0) return i;
    // The second byte's range is narrower after E0, ED, F0 and F4 (Table 3-7 of Unicode).
    const low = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
    const high = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
    const second = bytes[i + 1];
    if (second === undefined || second < low || second > high) return i;
    for (let k = 2; k < length; k++) {
      const next = bytes[i + k];
      if (next === undefined || (next & 0xc0) !== 0x80) return i;
    }
    i += length;
  }
  return undefined;
}

/**
 * Decodes a declaration's bytes.
 *
 * @throws {RegistryError} `VIGIL_CONFIG_TOO_LARGE` above {@link MAX_DECLARATION_BYTES};
 *   `VIGIL_CONFIG_ENCODING` when the bytes are not UTF-8, naming the offset, line and
 *   value of the first bad byte.
 */
export function decodeDeclaration(bytes: Uint8Array, source: string): string {
  if (bytes.length > MAX_DECLARATION_BYTES) throw tooLargeError(source, bytes.length);
  const bad = firstInvalidUtf8(bytes);
  if (bad !== undefined) {
    let line = 1;
    let lineStart = 0;
    for (let i = 0; i < bad; i++) {
      if (bytes[i] === 0x0a) {
        line++;
        lineStart = i + 1;
      }
    }
    const hex = bytes[bad]!.toString(16).toUpperCase().padStart(2, '0');
    throw RegistryError.fromProblems(
      REGISTRY_ERROR_CODES.encoding,
      `${source} is not UTF-8`,
      [
        {
          path: '',
          message: `byte 0x${hex} at offset ${bad} (byte ${bad - lineStart + 1} of the line) is not valid UTF-8`,
          line,
          hint: 'save the file as UTF-8 (e.g. iconv -f latin1 -t utf-8)',
        },
      ],
      source,
    );
  }
  return new TextDecoder('utf-8', { ignoreBOM: false }).decode(bytes);
}
