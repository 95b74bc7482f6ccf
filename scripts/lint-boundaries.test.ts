// The layer rules of eslint.config.mjs, run on small sources placed (virtually) in the
// repository: each rule reports what it is there for, and accepts what is allowed.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ESLint, type Linter } from 'eslint';
import tseslint from 'typescript-eslint';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
// Imported by URL: the config is plain JavaScript without type declarations.
const { default: config } = (await import(
  new URL('../eslint.config.mjs', import.meta.url).href
)) as { default: Linter.Config[] };

/** The repository's import-x block, with a parser that needs no type information. */
function boundaryConfig(): Linter.Config[] {
  const block = config.find((c) => c.rules?.['import-x/no-cycle'] !== undefined);
  assert.ok(block, 'eslint.config.mjs has the import-x layer rules');
  const rules = Object.fromEntries(
    Object.entries(block.rules ?? {}).filter(([name]) => name.startsWith('import-x/')),
  );
  return [
    {
      files: ['**/*.ts'],
      languageOptions: { parser: tseslint.parser as Linter.Parser },
      plugins: block.plugins,
      settings: block.settings,
      rules,
    },
  ];
}

const eslint = new ESLint({
  cwd: ROOT,
  overrideConfigFile: true,
  overrideConfig: boundaryConfig(),
});

async function problems(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(ROOT, path) });
  return (result?.messages ?? []).map((m) => `${m.ruleId}: ${m.message}`);
}

test('nothing under packages/ imports an agent or an example, by name or by path', async () => {
  const found = await problems(
    'packages/core/src/layer-probe.ts',
    "import { SOC_SKILLS } from '@vigil/soc';\nimport { agent } from '../../../examples/credit-memo/src/index.js';\nexport const x = [SOC_SKILLS, agent];\n",
  );
  assert.equal(
    found.filter((p) => p.startsWith('import-x/no-restricted-paths')).length,
    2,
    found.join('\n'),
  );
  assert.ok(
    found.some((p) => p.startsWith('import-x/no-relative-packages')),
    found.join('\n'),
  );
});

test('an agent may import the harness and its own system', async () => {
  const found = await problems(
    'agents/reviewer/src/layer-probe.ts',
    "import { SOC_SKILLS } from '@vigil/soc';\nimport { reviewAction } from '@vigil/policy';\nexport const x = [SOC_SKILLS, reviewAction];\n",
  );
  assert.deepEqual(found, []);
});

test('a workspace imports only what its package.json declares; dev dependencies only in tests', async () => {
  const undeclared = await problems(
    'packages/core/src/dep-probe.ts',
    "import pg from 'pg';\nexport const x = pg;\n",
  );
  assert.ok(undeclared.some((p) => p.startsWith('import-x/no-extraneous-dependencies')));
  // @vigil/testkit is a dev dependency of @vigil/audit: fine in a test, not in its code.
  const inCode = await problems(
    'packages/audit/src/dep-probe.ts',
    "import { startOpaServer } from '@vigil/testkit';\nexport const x = startOpaServer;\n",
  );
  assert.ok(
    inCode.some((p) => p.includes('not devDependencies')),
    inCode.join('\n'),
  );
  assert.deepEqual(
    await problems(
      'packages/audit/src/dep-probe.test.ts',
      "import { startOpaServer } from '@vigil/testkit';\nexport const x = startOpaServer;\n",
    ),
    [],
  );
});

test('an import cycle is reported', async () => {
  // trace.ts imports kinds.ts; a kinds.ts importing trace.ts back closes a cycle.
  const found = await problems(
    'packages/audit/src/kinds.ts',
    "import { summarize } from './trace.js';\nexport const x = summarize;\n",
  );
  assert.ok(
    found.some((p) => p.startsWith('import-x/no-cycle')),
    found.join('\n'),
  );
});
