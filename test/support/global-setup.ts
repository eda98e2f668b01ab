import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DevServer, startDevServer } from '../../dev/temporal-dev-server';
import { bundleVerificationWorkflows } from '../../dev/workflow-bundle';
import { PROJECT_ROOT, temporalCliPath, timeSkippingServerPath } from '../../dev/tool-paths';
import { startTestCluster, type TestCluster, testTargetIsCluster } from './test-cluster';

declare global {
  var __DEV_SERVER__: DevServer | undefined;
  var __TEST_CLUSTER__: TestCluster | undefined;
}

/**
 * Once per test run: checks that both Temporal servers are installed, bundles the workflow code once for
 * every test file, and starts one dev server that the end-to-end tests share (each on its own task queue);
 * with `TEST_TEMPORAL_TARGET=cluster`, the self-hosted cluster (`npm run cluster`) instead.
 */
export default async function globalSetup(): Promise<void> {
  for (const executable of [temporalCliPath(), timeSkippingServerPath()]) {
    if (!existsSync(executable)) {
      throw new Error(`${executable} is missing: run \`npm run setup:servers\` (npm test does it first)`);
    }
  }
  const outDir = path.join(PROJECT_ROOT, 'test-results');
  mkdirSync(outDir, { recursive: true });
  const bundlePath = path.join(outDir, 'workflow-bundle.js');
  const code = await bundleVerificationWorkflows();
  writeFileSync(bundlePath, code);
  process.env.TEST_WORKFLOW_BUNDLE = bundlePath;

  if (testTargetIsCluster()) {
    globalThis.__TEST_CLUSTER__ = await startTestCluster();
    process.env.TEST_TEMPORAL_ADDRESS = globalThis.__TEST_CLUSTER__.layout.address;
    return;
  }
  const server = await startDevServer();
  globalThis.__DEV_SERVER__ = server;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
}
