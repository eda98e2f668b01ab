import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT, temporalCliPath } from './tool-paths';

export const INSTALL_SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'install-temporal-cli.sh');

/**
 * Makes sure the Temporal CLI exists, running the (idempotent) install script with its output shown when it
 * does not. Resolves to whether it had to be installed.
 */
export async function ensureTemporalCli(env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  if (existsSync(temporalCliPath(env))) return false;
  await new Promise<void>((resolve, reject) => {
    const child = spawn('bash', [INSTALL_SCRIPT], { cwd: PROJECT_ROOT, stdio: 'inherit', env });
    child.once('error', reject);
    child.once('exit', (code, signal) =>
      code === 0
        ? resolve()
        : reject(
            new Error(
              `${path.relative(PROJECT_ROOT, INSTALL_SCRIPT)} failed (code ${code}, signal ${signal})`,
            ),
          ),
    );
  });
  if (!existsSync(temporalCliPath(env))) {
    throw new Error(
      `the Temporal CLI is still missing at ${temporalCliPath(env)} after the install script ran`,
    );
  }
  return true;
}
