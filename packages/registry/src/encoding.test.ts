import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { firstInvalidUtf8 } from './encoding.js';
import {
  loadAgentSystem,
  loadAgentSystemSync,
  MAX_DECLARATION_BYTES,
  parseAgentSystem,
  RegistryError,
} from './index.js';

const VALID = `apiVersion: vigil.dev/v1alpha1
kind: AgentSystem
metadata:
  name: test
trustDomain: test.vigil.local
agents:
  - name: echo
    role: Echo
    description: placeholder
    implementation: '@vigil/echo'
`;

function tempFile(t: { after: (fn: () => void) => void }, bytes: Uint8Array | string): string {
  const dir = mkdtempSync(join(tmpdir(), 'vigil-registry-encoding-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'vigil.yaml');
  writeFileSync(file, bytes);
  return file;
}

test('refuses a declaration above 1 MiB before reading it, naming the size and the cap', async (t) => {
  // A valid document padded with a comment to just over the cap.
  const big = VALID + '#' + 'x'.repeat(MAX_DECLARATION_BYTES) + '\n';
  const file = tempFile(t, big);
  const size = Buffer.byteLength(big);
  for (const load of [() => loadAgentSystem(file), async () => loadAgentSystemSync(file)]) {
    await assert.rejects(load(), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.code, 'VIGIL_CONFIG_TOO_LARGE');
      assert.match(error.message, new RegExp(`is ${size} bytes`));
      assert.match(error.message, /at most 1048576 bytes \(1 MiB\)/);
      return true;
    });
  }
  assert.throws(() => parseAgentSystem(big, 'big.yaml'), { code: 'VIGIL_CONFIG_TOO_LARGE' });
  // Multi-byte text is measured in bytes, not characters.
  const wide = VALID + '# ' + 'é'.repeat(MAX_DECLARATION_BYTES / 2) + '\n';
  assert.throws(() => parseAgentSystem(wide, 'wide.yaml'), { code: 'VIGIL_CONFIG_TOO_LARGE' });
});

test('loads a declaration just under the cap', async (t) => {
  const padding = MAX_DECLARATION_BYTES - Buffer.byteLength(VALID) - 2;
  const file = tempFile(t, VALID + '#' + 'x'.repeat(padding) + '\n');
  const system = await loadAgentSystem(file);
  assert.equal(system.agents[0]?.name, 'echo');
});

test('refuses Latin-1 bytes with their offset and line instead of decoding them to U+FFFD', async (t) => {
  const text = VALID.replace('placeholder', 'caf\u00e9');
  const latin1 = Buffer.from(text, 'latin1');
  const offset = latin1.indexOf(0xe9);
  const file = tempFile(t, latin1);
  for (const load of [() => loadAgentSystem(file), async () => loadAgentSystemSync(file)]) {
    await assert.rejects(load(), (error: unknown) => {
      assert.ok(error instanceof RegistryError);
      assert.equal(error.code, 'VIGIL_CONFIG_ENCODING');
      const [problem] = error.problems;
      assert.equal(problem?.line, 9);
      assert.match(error.message, new RegExp(`byte 0xE9 at offset ${offset} `));
      assert.match(error.message, /\(line 9\) — save the file as UTF-8/);
      return true;
    });
  }
  // The same text in UTF-8 loads, and keeps its accent.
  const utf8 = tempFile(t, text);
  assert.equal((await loadAgentSystem(utf8)).agents[0]?.description, 'caf\u00e9');
});

test('drops one leading byte-order mark', async (t) => {
  const file = tempFile(t, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(VALID)]));
  assert.equal(loadAgentSystemSync(file).metadata.name, 'test');
});

test('finds the first byte that starts no well-formed UTF-8 sequence', () => {
  const at = (...bytes: number[]) => firstInvalidUtf8(Uint8Array.from(bytes));
  assert.equal(at(0x61, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80), undefined);
  assert.equal(at(0x61, 0xe9, 0x62), 1); // Latin-1 é
  assert.equal(at(0x61, 0xc0, 0xaf), 1); // overlong "/"
  assert.equal(at(0xed, 0xa0, 0x80), 0); // a UTF-16 surrogate
  assert.equal(at(0xf4, 0x90, 0x80, 0x80), 0); // above U+10FFFF
  assert.equal(at(0x61, 0x62, 0xe2, 0x82), 2); // truncated at the end
  assert.equal(at(0x80), 0); // a lone continuation byte
});
