import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { runDemo } from '../../dev/demo/demo-run';
import { SandboxAdmin } from '../../dev/demo/sandbox-admin';
import { freePort } from '../../dev/free-port';
import type { RunningStack } from '../../dev/stack';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { sandboxOf, startTestStack } from './support';

const run = promisify(execFile);

describe('the demo', () => {
  let stack: RunningStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('brings seven verifications to every outcome and reports each as it lands', async () => {
    const lines: string[] = [];
    const sandbox = sandboxOf(stack);
    const outcomes = await runDemo({
      verifications: stack.verifications,
      caliza: stack.caliza.client,
      admin: new SandboxAdmin(sandbox.url),
      report: (line) => lines.push(line),
      runTag: 'test',
      timing: {
        expiringDeadlineMs: 3_000,
        fastPolling: { initialIntervalMs: 300, multiplier: 1.5, maxIntervalMs: 1_000 },
      },
      timeoutMs: 30_000,
    });

    expect(outcomes.filter((outcome) => !outcome.ok)).toEqual([]);
    const byName = Object.fromEntries(outcomes.map((outcome) => [outcome.scenario.name, outcome]));
    expect(byName).toMatchObject({
      ana: { outcome: 'APPROVED', decidedBy: 'WEBHOOK', kind: 'KYC', searchAttributeOutcome: 'APPROVED' },
      acme: { outcome: 'APPROVED', decidedBy: 'WEBHOOK', kind: 'KYB' },
      bruno: { outcome: 'FAILED', decidedBy: 'WEBHOOK', reason: 'Document expired' },
      globex: { outcome: 'FAILED', decidedBy: 'WEBHOOK', kind: 'KYB', searchAttributeOutcome: 'FAILED' },
      carla: { outcome: 'APPROVED', decidedBy: 'POLL' },
      dario: { outcome: 'EXPIRED', decidedBy: 'DEADLINE', searchAttributeOutcome: 'EXPIRED' },
      initech: { outcome: 'CANCELLED', decidedBy: null, searchAttributeOutcome: 'CANCELLED' },
    });
    expect(lines.filter((line) => /^\[\d\/7\] ✓ /.test(line))).toHaveLength(7);
    // The webhook fault is off again, so the double is left as the demo found it.
    expect((await new SandboxAdmin(sandbox.url).faults()).webhooks.dropShare).toBe(0);
  });

  it('says clearly that it needs the sandbox double when none answers', async () => {
    const failure = (await run(process.execPath, ['--import', 'tsx', 'dev/demo/main.ts'], {
      cwd: PROJECT_ROOT,
      env: { ...process.env, SANDBOX_URL: `http://127.0.0.1:${await freePort()}` },
    }).catch((err: unknown) => err)) as { code: number; stderr: string };
    expect(failure.code).toBe(1);
    expect(failure.stderr.trim().split('\n')).toHaveLength(1);
    expect(failure.stderr).toMatch(/^error: the demo needs the Caliza sandbox double that `npm start` runs/);
    expect(failure.stderr).toContain('cannot run against the real Caliza API');
  });
});
