import path from 'node:path';

/** Repository root: tools and local data live in git-ignored folders below it. */
export const PROJECT_ROOT = path.resolve(__dirname, '..');

/** The Temporal CLI that `scripts/install-temporal-cli.sh` builds, or the one named by TEMPORAL_CLI_PATH. */
export function temporalCliPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.TEMPORAL_CLI_PATH || path.join(PROJECT_ROOT, '.tools', 'bin', 'temporal');
}

/** The `exec` wrapper around the Java time-skipping test server (`scripts/install-test-server.sh`). */
export function timeSkippingServerPath(): string {
  return path.join(PROJECT_ROOT, '.tools', 'temporal-test-server', 'temporal-test-server');
}
