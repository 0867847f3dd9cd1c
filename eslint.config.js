// @ts-check
const js = require('@eslint/js');
const tseslint = require('typescript-eslint');
const { builtinModules } = require('node:module');

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

module.exports = tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.cache/**', 'coverage/**', 'test-artifacts/**', '**/*.js'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // The examples' helper scripts are plain Node programs, run by plans.
    files: ['examples/sources/*.mjs'],
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        fetch: 'readonly',
        setTimeout: 'readonly',
        setImmediate: 'readonly',
      },
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: __dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflows must be deterministic: no Node built-ins. They also must not load zod (values), which
    // would be evaluated again for every workflow execution; type imports are free.
    files: ['src/workflows/**/*.ts', 'src/shared.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins.map((name) => ({ name, message: 'workflow code is deterministic: no I/O' })),
            ...['zod', '../core', '../core/index', '../core/plan', '../core/validate', './core', './core/plan'].map(
              (name) => ({
                name,
                allowTypeImports: true,
                message: 'import zod-free core modules (zod costs CPU per workflow)',
              }),
            ),
          ],
        },
      ],
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: nodeBuiltins.map((name) => ({ name, message: 'the core is pure: no I/O' })),
          patterns: [{ group: ['@temporalio/*'], message: 'the core has no Temporal imports' }],
        },
      ],
    },
  },
);
