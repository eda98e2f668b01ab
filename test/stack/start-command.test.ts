import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { SandboxAdmin } from '../../dev/demo/sandbox-admin';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { startCommandEnv } from './start-command-env';
import { isAlive } from '../../dev/dev-server-pid-file';

/** `npm start` as a user runs it: its own process, its output, Ctrl-C. */
describe('npm start (dev/start.ts)', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let ports: { temporal: number; ui: number; sandbox: number; webhooks: number };
  const launched: ChildProcess[] = [];

  beforeAll(async () => {
    ({ dataDir, ports, env } = await startCommandEnv('start'));
  });

  afterAll(() => {
    for (const child of launched)
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    const pidFile = path.join(dataDir, 'temporal.sqlite.pid');
    if (existsSync(pidFile)) killIfAlive(Number(readFileSync(pidFile, 'utf8')));
    rmSync(dataDir, { recursive: true, force: true });
  });

  function launch(): {
    child: ChildProcess;
    output: () => string;
    ready: Promise<void>;
    exited: Promise<number | null>;
  } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'dev/start.ts'], {
      cwd: PROJECT_ROOT,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    launched.push(child);
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const ready = new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes('Ctrl-C stops everything.')) {
          clearInterval(timer);
          resolve();
        } else if (child.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`npm start exited with ${child.exitCode}:\n${output}`));
        }
      }, 100);
    });
    // A launch that is meant to fail is never awaited for readiness.
    ready.catch(() => undefined);
    return { child, output: () => output, ready, exited };
  }

  it('starts every part, says where each listens, and stops them all on Ctrl-C', async () => {
    const started = launch();
    await started.ready;
    const output = started.output();
    expect(output).toMatch(/Ready in \d+\.\d s\./);
    expect(output).toContain(
      `Temporal gRPC      127.0.0.1:${ports.temporal} (namespace default, local dev server)`,
    );
    expect(output).toContain(`Temporal Web UI    http://127.0.0.1:${ports.ui}/namespaces/default/workflows`);
    expect(output).toContain(`Caliza             sandbox double at http://127.0.0.1:${ports.sandbox}`);
    const receiverUrl = `http://127.0.0.1:${ports.webhooks}/webhooks/caliza`;
    expect(output).toContain(`Webhook receiver   ${receiverUrl}`);
    expect(output).toContain(
      `TEMPORAL_ADDRESS=127.0.0.1:${ports.temporal} npm run starter -- <beneficiaryId>`,
    );

    expect((await fetch(`http://127.0.0.1:${ports.ui}/`)).status).toBe(200);
    expect((await fetch(`http://127.0.0.1:${ports.webhooks}/readyz`)).status).toBe(200);
    expect((await new SandboxAdmin(`http://127.0.0.1:${ports.sandbox}`).info()).callbackUrl).toBe(
      receiverUrl,
    );
    const pidFile = path.join(dataDir, 'temporal.sqlite.pid');
    const serverPid = Number(readFileSync(pidFile, 'utf8'));
    expect(isAlive(serverPid)).toBe(true);

    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
    expect(started.output()).toContain('SIGINT: stopping every part…\nStopped.');
    expect(isAlive(serverPid)).toBe(false);
    expect(existsSync(pidFile)).toBe(false);
    expect(existsSync(path.join(dataDir, 'temporal.sqlite'))).toBe(true);
  });

  it('stops a dev server that a killed launcher left behind, then starts normally', async () => {
    const first = launch();
    await first.ready;
    const serverPid = Number(readFileSync(path.join(dataDir, 'temporal.sqlite.pid'), 'utf8'));
    // A launcher killed outright cannot stop its dev server, which runs in its own process group.
    first.child.kill('SIGKILL');
    await first.exited;
    expect(isAlive(serverPid)).toBe(true);

    const second = launch();
    await second.ready;
    expect(second.output()).toContain(
      `stopped a dev server left running by an earlier start (pid ${serverPid})`,
    );
    expect(isAlive(serverPid)).toBe(false);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('refuses a busy port with a hint naming the variable', async () => {
    const blocker = (await import('node:net')).createServer();
    await new Promise<void>((resolve) => blocker.listen(ports.temporal, '127.0.0.1', resolve));
    try {
      const started = launch();
      expect(await started.exited).toBe(1);
      expect(started.output()).toMatch(
        new RegExp(`error: port ${ports.temporal} is already in use .*set TEMPORAL_DEV_PORT to another port`),
      );
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

function killIfAlive(pid: number): void {
  if (Number.isInteger(pid) && pid > 1 && isAlive(pid)) process.kill(pid, 'SIGKILL');
}
