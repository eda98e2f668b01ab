import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { isAlive } from '../../dev/dev-server-pid-file';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { startCommandEnv } from './start-command-env';

const run = promisify(execFile);
const README = readFileSync(path.join(PROJECT_ROOT, 'README.md'), 'utf8');

/** The commands of the first `bash` block after `heading`, without their comments. */
function commandsUnder(heading: string): string[] {
  const start = README.indexOf(`\n${heading}\n`);
  if (start < 0) throw new Error(`README.md has no "${heading}"`);
  const block = /```bash\n([\s\S]*?)```/.exec(README.slice(start));
  if (!block?.[1]) throw new Error(`no bash block under "${heading}"`);
  return block[1]
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter((line) => line !== '');
}

/** The last line of `output` that is a JSON object: `npm run` prints its own banner first. */
function lastJson(output: string): Record<string, unknown> {
  const line = output
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON line in:\n${output}`);
  return JSON.parse(line) as Record<string, unknown>;
}

/**
 * The README's quick start as a newcomer types it, on real processes: `npm start` (dev server, double,
 * worker, receiver), then every line of "From zero to approved" in a second shell. Only the ports differ,
 * given through the environment variables the README documents, so that nothing clashes with a running
 * `npm start`.
 */
describe('the README quick start, word for word', () => {
  let dataDir: string;
  let env: NodeJS.ProcessEnv;
  let ports: { temporal: number; ui: number; sandbox: number; webhooks: number };
  let launcher: ChildProcess | null = null;

  beforeAll(async () => {
    ({ dataDir, ports, env } = await startCommandEnv('readme'));
  });

  afterAll(() => {
    if (launcher?.pid && launcher.exitCode === null && launcher.signalCode === null) {
      try {
        process.kill(-launcher.pid, 'SIGKILL');
      } catch {
        // The group ended meanwhile.
      }
    }
    const pidFile = path.join(dataDir, 'temporal.sqlite.pid');
    if (existsSync(pidFile)) {
      const pid = Number(readFileSync(pidFile, 'utf8'));
      if (Number.isInteger(pid) && pid > 1 && isAlive(pid)) process.kill(pid, 'SIGKILL');
    }
    rmSync(dataDir, { recursive: true, force: true });
  });

  // npm start bundles the workflow and starts four processes: on a loaded 2-core machine that alone can
  // take most of a minute (about 15 s for the whole test when the machine is quiet).
  it('gets a new beneficiary from nothing to APPROVED with the commands the README gives', async () => {
    const [install] = commandsUnder('## Quick start');
    // The checkout under test is installed already (CI runs `npm ci` first); the rest runs as written.
    expect(install).toMatch(/^npm install && npm start$/);
    const startCommand = (install ?? '').replace(/^npm install && /, '');

    // Its own process group, so that the end is a terminal's Ctrl-C: SIGINT to every process in it.
    launcher = spawn('bash', ['-c', startCommand], {
      cwd: PROJECT_ROOT,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    launcher.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    launcher.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => launcher?.once('exit', (code) => resolve(code)));
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (output.includes('Ctrl-C stops everything.')) {
          clearInterval(timer);
          resolve();
        } else if (launcher?.exitCode !== null) {
          clearInterval(timer);
          reject(new Error(`npm start exited:\n${output}`));
        }
      }, 100);
    });
    expect(output).toContain('npm run create-beneficiary -- individual|business');

    // The second terminal: the README's defaults, moved to this test's ports.
    const shellEnv = {
      ...env,
      TEMPORAL_ADDRESS: `127.0.0.1:${ports.temporal}`,
      SANDBOX_URL: `http://127.0.0.1:${ports.sandbox}`,
    };
    const values: Record<string, string> = {};
    const printed: Record<string, unknown>[] = [];
    const steps = commandsUnder('### From zero to approved');
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const step of steps) {
      const command = step.replace(/<(beneficiaryId|verificationUrl)>/g, (_, name: string) => {
        const value = values[name];
        if (!value) throw new Error(`"${step}" needs ${name}, which no earlier line printed`);
        return value;
      });
      const { stdout } = await run('bash', ['-c', command], {
        cwd: PROJECT_ROOT,
        env: shellEnv,
        timeout: 120_000,
      });
      // curl prints the hosted page (HTML), the npm commands one JSON object each.
      if (!step.startsWith('curl ')) {
        const json = lastJson(stdout);
        printed.push(json);
        for (const name of ['beneficiaryId', 'verificationUrl'])
          if (typeof json[name] === 'string') values[name] = json[name];
      } else {
        expect(stdout).toContain('Thank you');
      }
    }
    expect(values.beneficiaryId).toMatch(/^[0-9a-f]{24}$/);
    expect(values.verificationUrl).toContain(`http://127.0.0.1:${ports.sandbox}/hosted/verification/`);
    expect(printed[1]).toMatchObject({ status: 'PENDING' });
    expect(printed.at(-1)).toMatchObject({
      workflowId: `kyc-beneficiary-${values.beneficiaryId}`,
      result: { beneficiaryId: values.beneficiaryId, outcome: 'APPROVED', kind: 'KYC', reason: null },
    });

    // Ctrl-C: npm itself ends on the signal, so what counts is that every part stopped cleanly.
    const serverPid = Number(readFileSync(path.join(dataDir, 'temporal.sqlite.pid'), 'utf8'));
    process.kill(-(launcher.pid ?? 0), 'SIGINT');
    await exited;
    expect(output).toContain('SIGINT: stopping every part…\nStopped.');
    expect(isAlive(serverPid)).toBe(false);
  }, 180_000);
});
