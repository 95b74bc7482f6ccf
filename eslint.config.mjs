// ESLint flat config: typescript-eslint with the type-aware rules that catch real
// bugs in async agent code, and import boundaries between workspaces.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import importX from 'eslint-plugin-import-x';
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
