import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { buildWasmBundle, loadPolicySource } from './bundle.js';
import { POLICY_ERROR_CODES } from './errors.js';
import { describePolicyEngineContract } from './policy-engine.contract.js';
import { SOC_BUNDLE_DIR, SOC_DATA, SOC_ENTRYPOINT } from './testing/fixtures.js';
import { OpaWasmPolicyEngine } from './wasm-engine.js';

const scratch = mkdtempSync(join(tmpdir(), 'vigil-policy-wasm-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

// A policy whose entrypoint raises a conflict error at evaluation time: a real engine
// error inside the wasm module, not a mock.
const brokenDir = join(scratch, 'broken');
mkdirSync(brokenDir);
writeFileSync(
  join(brokenDir, 'broken.rego'),
  `package broken

verdict := {"decision": "allow"} if input.action.type

verdict := {"decision": "deny"} if input.detectorScore
`,
);

describePolicyEngineContract('OpaWasmPolicyEngine', {
  create: (options = {}) =>
    OpaWasmPolicyEngine.create({
      bundleDir: SOC_BUNDLE_DIR,
      entrypoint: SOC_ENTRYPOINT,
      data: SOC_DATA,
      ...options,
    }),
  broken: (options = {}) =>
    OpaWasmPolicyEngine.create({
      bundleDir: brokenDir,
      entrypoint: 'broken/verdict',
      data: {},
      ...options,
    }),
  slow: (options) => {
    // Wasm evaluation is synchronous; the engine discards a result that arrived after the
    // deadline. A mock clock that advances past the deadline on every reading makes each
    // evaluation "take" timeoutMs + 1 ms.
    let now = 0;
    return OpaWasmPolicyEngine.create({
      bundleDir: SOC_BUNDLE_DIR,
      entrypoint: SOC_ENTRYPOINT,
      data: SOC_DATA,
      ...options,
      clock: () => (now += options.timeoutMs + 1),
    });
  },
});

test('caches the compiled module by source digest and rebuilds when the Rego changes', async () => {
  const dir = join(scratch, 'cache-policy');
  const cacheDir = join(scratch, 'cache');
  mkdirSync(dir);
  writeFileSync(join(dir, 'p.rego'), 'package p\n\nverdict := 1\n');
  const first = await buildWasmBundle(await loadPolicySource(dir), 'p/verdict', { cacheDir });
  assert.equal(first.built, true);
  const again = await buildWasmBundle(await loadPolicySource(dir), 'p/verdict', { cacheDir });
  assert.equal(again.built, false);
  assert.equal(again.path, first.path);
  assert.deepEqual(again.wasm, first.wasm);
  writeFileSync(join(dir, 'p.rego'), 'package p\n\nverdict := 2\n');
  const edited = await buildWasmBundle(await loadPolicySource(dir), 'p/verdict', { cacheDir });
  assert.equal(edited.built, true);
  assert.notEqual(edited.path, first.path);
});

test('ignores *_test.rego files in the bundle and its digest', async () => {
  const withTests = await loadPolicySource(SOC_BUNDLE_DIR);
  assert.ok(Object.keys(withTests.modules).length > 0);
  assert.ok(Object.keys(withTests.modules).every((path) => !path.endsWith('_test.rego')));
});

test('reports a Rego compile error at start-up with opa’s message', async () => {
  const dir = join(scratch, 'bad-rego');
  mkdirSync(dir);
  writeFileSync(join(dir, 'bad.rego'), 'package bad\n\nverdict := {\n');
  await assert.rejects(
    OpaWasmPolicyEngine.create({
      bundleDir: dir,
      entrypoint: 'bad/verdict',
      data: {},
      cacheDir: join(scratch, 'c2'),
    }),
    (error: unknown) => {
      const e = error as { code?: string; message?: string };
      assert.equal(e.code, POLICY_ERROR_CODES.BUILD_FAILED);
      assert.match(e.message ?? '', /bad\.rego/);
      return true;
    },
  );
});

test('rejects a missing bundle directory and a malformed entrypoint as configuration errors', async () => {
  await assert.rejects(
    OpaWasmPolicyEngine.create({
      bundleDir: join(scratch, 'nope'),
      entrypoint: SOC_ENTRYPOINT,
      data: {},
    }),
    { code: POLICY_ERROR_CODES.CONFIG },
  );
  await assert.rejects(
    OpaWasmPolicyEngine.create({
      bundleDir: SOC_BUNDLE_DIR,
      entrypoint: 'data.vigil.soc',
      data: {},
    }),
    { code: POLICY_ERROR_CODES.CONFIG },
  );
});
