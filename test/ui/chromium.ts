import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { PROJECT_ROOT } from '../../dev/tool-paths';

export const CHROMIUM_PATH = '/usr/bin/chromium';
const INSTALL_SCRIPT = path.join(PROJECT_ROOT, 'scripts', 'install-chromium.sh');

/**
 * Debian's Chromium, installed by the (idempotent) script when missing. A browser test that cannot get a
 * browser fails, naming what to do: skipping it would hide that the Web UI was never looked at.
 */
export function ensureChromium(): void {
  if (existsSync(CHROMIUM_PATH)) return;
  const result = spawnSync('bash', [INSTALL_SCRIPT], { encoding: 'utf8', timeout: 300_000 });
  if (result.status !== 0 || !existsSync(CHROMIUM_PATH)) {
    const said = `${result.stderr ?? ''}${result.stdout ?? ''}`.trim().split('\n').pop() ?? '';
    throw new Error(
      `the Web UI test needs Chromium at ${CHROMIUM_PATH} and it could not be installed (${said || `exit ${result.status}`}); ` +
        'run `bash scripts/install-chromium.sh` as root',
    );
  }
}

export async function launchChromium(): Promise<Browser> {
  ensureChromium();
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
