/**
 * The suite's second run, against the self-hosted cluster (`npm run test:cluster`): the end-to-end test of
 * the real worker, the one-process service, the stack and operator tests, search-attribute registration,
 * and the cluster's own tests (its chaos, two workers and two receivers, a disabled API). The chaos files
 * that fault the worker, Caliza or the webhooks (test/chaos) run on the dev server only: what they break
 * does not depend on the server, a worker SIGKILL on the cluster is in test/cluster/replicas.test.ts, and
 * together they would take about five more minutes than CI's budget for this run.
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
    '<rootDir>/test/cluster/**/*.test.ts',
  ],
  testPathIgnorePatterns: ['/node_modules/'],
};
