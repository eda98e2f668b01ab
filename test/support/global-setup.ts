import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { type DevServer, startDevServer } from '../../dev/temporal-dev-server';
import { bundleVerificationWorkflows } from '../../dev/workflow-bundle';
import { PROJECT_ROOT, temporalCliPath, timeSkippingServerPath } from '../../dev/tool-paths';

declare global {
  var __DEV_SERVER__: DevServer | undefined;
}

/**
 * Once per test run: checks that both Temporal servers are installed, bundles the workflow code once for
 * every test file, and starts one dev server that the end-to-end tests share (each on its own task queue).
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

  const server = await startDevServer();
  globalThis.__DEV_SERVER__ = server;
  process.env.TEST_TEMPORAL_ADDRESS = server.address;
}
