import { spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';

/**
 * A process entry (`src/main.ts`, `src/webhooks/main.ts`, …) run as `npm run` would, in a clean environment:
 * only PATH and the given variables, so no inherited Temporal, Caliza or webhook setting leaks in; the admin
 * server takes a free port unless ADMIN_PORT is given.
 */
export function runEntry(script: string, args: readonly string[], env: Record<string, string>) {
  return runNode([path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), script, ...args], {
    cwd: PROJECT_ROOT,
    env: { ADMIN_PORT: '0', ...env },
  });
}

/**
 * `node <args>` with this test run's Node, in `cwd` and the same clean environment as {@link runEntry}:
 * e.g. the container image's own entry, `node dist/main.js worker`, from a built `dist/`.
 */
export function runNode(args: readonly string[], options: { cwd: string; env: Record<string, string> }) {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: { PATH: process.env.PATH ?? '', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  /** Resolves once `text` has been printed; rejects with everything printed so far after `timeoutMs`. */
  const waitFor = (text: string, timeoutMs = 15_000) =>
    new Promise<void>((resolve, reject) => {
      const started = Date.now();
      const check = () => {
        if (output.includes(text)) return resolve();
        if (Date.now() - started > timeoutMs) return reject(new Error(`no "${text}" in: ${output}`));
        setTimeout(check, 50);
      };
      check();
    });
  return { child, exited, waitFor, output: () => output };
}
