/**
 * The suite's second run, against the self-hosted cluster (`npm run test:cluster`): the end-to-end test of
 * the real worker, the one-process service, the stack and operator tests, search-attribute registration,
 * the chaos files that fault the worker, Caliza or the webhooks, and the cluster's own tests (its chaos, two
 * workers and two receivers, a disabled API). The chaos file that restarts the dev server stays on the dev
 * server: on the cluster, test/cluster/cluster-chaos.test.ts restarts each of its processes instead.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports -- a CommonJS config extends another
const base = require('./jest.config');

process.env.TEST_TEMPORAL_TARGET = 'cluster';

/** @type {import('jest').Config} */
module.exports = {
  ...base,
  testMatch: [
    '<rootDir>/test/e2e/worker-on-dev-server.test.ts',
    '<rootDir>/test/service/one-process.test.ts',
    '<rootDir>/test/stack/full-stack.test.ts',
    '<rootDir>/test/stack/ops.test.ts',
    '<rootDir>/test/stack/search-attribute-registration.test.ts',
    '<rootDir>/test/chaos/worker-crash.test.ts',
    '<rootDir>/test/chaos/caliza-faults.test.ts',
    '<rootDir>/test/chaos/webhook-faults.test.ts',
    '<rootDir>/test/cluster/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
};
