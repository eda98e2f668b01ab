import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import prettier from 'eslint-config-prettier';

const nodeBuiltins = [
  'assert',
  'async_hooks',
  'buffer',
  'child_process',
  'cluster',
  'crypto',
  'dgram',
  'dns',
  'events',
  'fs',
  'http',
  'http2',
  'https',
  'net',
  'os',
  'path',
  'perf_hooks',
  'process',
  'readline',
  'stream',
  'timers',
  'tls',
  'url',
  'util',
  'v8',
  'vm',
  'worker_threads',
  'zlib',
];

/** What ships is src/ alone: the Caliza double and the local launcher are development tools beside it. */
const SHIPS_ALONE = {
  group: ['**/caliza-double', '**/caliza-double/**', '**/dev', '**/dev/**'],
  message: 'src/ ships to production: it must not import the Caliza double or the dev tools.',
};

export default tseslint.config(
  {
    ignores: ['node_modules/', '.tools/', 'dist/', 'coverage/', '.data/', 'bench/results/', 'test-results/'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no I/O, no Node built-ins, no HTTP clients.
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [
            ...nodeBuiltins
              .flatMap((name) => [name, `node:${name}`])
              .map((name) => ({
                name,
                message: 'Workflow code must be deterministic: no Node built-ins.',
              })),
            { name: 'axios', message: 'Workflow code must not do I/O; call an activity.' },
            { name: 'pino', message: 'Use log from @temporalio/workflow in workflow code.' },
            { name: 'fastify', message: 'Workflow code must not do I/O.' },
            { name: '@temporalio/client', message: 'Workflow code must not use the client.' },
            { name: '@temporalio/worker', message: 'Workflow code must not use the worker.' },
            {
              name: '@temporalio/activity',
              message: 'Activities are proxied, not imported, in workflow code.',
            },
          ],
          patterns: [
            {
              group: ['**/activities/*', '**/caliza/*'],
              allowTypeImports: true,
              message: 'Import activities as types only.',
            },
          ],
        },
      ],
      'no-restricted-globals': ['error', 'setTimeout', 'setInterval', 'fetch', 'process'],
    },
  },
  {
    // What ships is src/ alone: the Caliza double and the local launcher are development tools beside it.
    files: ['src/**/*.ts'],
    ignores: ['src/workflows/**', 'src/caliza/**'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [SHIPS_ALONE],
        },
      ],
    },
  },
  {
    // The parts are assembled by the composition root (src/service); a part never reaches back into it.
    // Only a process entry (a `main.ts`) asks the root for the parts it runs.
    files: ['src/activities/**/*.ts', 'src/client/**/*.ts', 'src/codec/**/*.ts', 'src/webhooks/**/*.ts'],
    ignores: ['**/main.ts', '**/*-main.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            SHIPS_ALONE,
            {
              group: ['**/service', '**/service/**'],
              message: 'A part must not import the composition root that assembles it (docs/structure.md).',
            },
          ],
        },
      ],
    },
  },
  {
    // The Caliza client is an adapter of Caliza's API: it knows nothing of the workflow built on it.
    files: ['src/caliza/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: [
                '**/contracts',
                '**/workflows/**',
                '**/activities/**',
                '**/client/**',
                '**/webhooks/**',
              ],
              message:
                'The Caliza client must not depend on the service built on it; put shared Caliza terms in caliza/vocabulary.',
            },
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs'],
    ...tseslint.configs.disableTypeChecked,
    languageOptions: {
      globals: { module: 'writable', require: 'readonly', __dirname: 'readonly', process: 'readonly' },
    },
  },
);
