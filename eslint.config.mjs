// ESLint flat config: typescript-eslint with the type-aware rules that catch real
// bugs in async agent code, and import boundaries between workspaces.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX, { createNodeResolver } from 'eslint-plugin-import-x';
import reactHooks from 'eslint-plugin-react-hooks';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/.vigil/**',
      '.tools/**',
      'bench/.venv/**',
      'bench/results/**',
      'coverage/**',
      '**/*.wasm',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts', '**/*.tsx'],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { 'import-x': importX },
    settings: {
      // Imported TypeScript modules are parsed too (what no-cycle follows).
      'import-x/extensions': ['.ts', '.tsx', '.js', '.mjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.tsx'] },
      // Resolves as Node does for our sources: workspace packages through their `exports`
      // (the `default` condition points at src/*.ts), `./x.js` specifiers to `./x.ts`.
      'import-x/resolver-next': [
        createNodeResolver({
          extensions: ['.ts', '.tsx', '.js', '.mjs', '.json', '.node'],
          extensionAlias: { '.js': ['.ts', '.tsx', '.js'] },
          conditionNames: ['import', 'default'],
        }),
      ],
    },
    rules: {
      '@typescript-eslint/no-floating-promises': [
        'error',
        {
          allowForKnownSafeCalls: [
            { from: 'package', package: 'node:test', name: ['test', 'it', 'describe', 'suite'] },
          ],
        },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      // Workspaces talk through their package exports only, never deep paths.
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              // `@vigil/<pkg>/testing` is an export (the real SOC for end-to-end tests, coordinator
              // replicas as processes for bench/scale-out), not a deep path.
              group: ['@vigil/*/*', '!@vigil/*/testing'],
              message: 'Import a workspace through its package exports.',
            },
          ],
        },
      ],
      'import-x/no-self-import': 'error',
      // The layers (DESIGN.md): no import cycle inside or across workspaces; a workspace
      // imports only what its own package.json declares (dev dependencies in tests, test
      // helpers and benchmarks), another workspace by its name, never by a relative path.
      'import-x/no-cycle': ['error', { ignoreExternal: true }],
      'import-x/no-extraneous-dependencies': [
        'error',
        {
          devDependencies: [
            '**/*.test.ts',
            '**/*.test.tsx',
            '**/testing/**',
            '**/*.contract.ts',
            '**/store-contract.ts',
            '**/e2e/**',
            'bench/**',
            '**/scripts/**',
            '**/*.config.*',
          ],
          includeTypes: true,
        },
      ],
      'import-x/no-relative-packages': 'error',
      // The harness knows no agent system: nothing under packages/ imports the SOC's agents
      // or an example system (their packages resolve to agents/* and examples/*).
      'import-x/no-restricted-paths': [
        'error',
        {
          zones: [
            {
              target: './packages',
              from: ['./agents', './examples'],
              message: 'The harness (packages/) must not import an agent system.',
            },
          ],
        },
      ],
    },
  },
  {
    // The console (React): the two hook rules that catch real bugs.
    files: ['apps/console/src/**/*.tsx', 'apps/console/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks },
    rules: {
      'react-hooks/rules-of-hooks': 'error',
      'react-hooks/exhaustive-deps': 'error',
    },
  },
  {
    files: ['**/*.mjs', '**/*.js'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
