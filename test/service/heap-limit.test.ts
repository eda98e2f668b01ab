import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import {
  DEFAULT_HEAP_LIMIT_MB,
  type HeapLimitContext,
  heapLimitDecision,
} from '../../src/service/heap-limit';

const context = (overrides: Partial<HeapLimitContext> = {}): HeapLimitContext => ({
  env: {},
  execArgv: [],
  canReexecute: true,
  hasIpcChannel: false,
  // A large host without a container limit: Node's own sizing (about 4 GB).
  currentHeapSizeLimitMb: 4_144,
  ...overrides,
});

describe('the heap limit decision', () => {
  it('re-executes with the default limit when nothing says otherwise', () => {
    expect(heapLimitDecision(context())).toEqual({
      action: 'reexecute',
      limitMb: DEFAULT_HEAP_LIMIT_MB,
      flags: [`--max-old-space-size=${DEFAULT_HEAP_LIMIT_MB}`, '--max-semi-space-size=16'],
    });
    expect(heapLimitDecision(context({ env: { HEAP_LIMIT_MB: '320' } }))).toMatchObject({
      action: 'reexecute',
      flags: ['--max-old-space-size=320', '--max-semi-space-size=16'],
    });
  });

  it("keeps Node's default heap with HEAP_LIMIT_MB=0", () => {
    expect(heapLimitDecision(context({ env: { HEAP_LIMIT_MB: '0' } }))).toMatchObject({
      action: 'keep',
      limitMb: null,
      reason: expect.stringContaining('HEAP_LIMIT_MB=0'),
    });
  });

  it("leaves an operator's own --max-old-space-size alone, in any spelling V8 reads, wherever it is given", () => {
    for (const ctx of [
      context({ execArgv: ['--max-old-space-size=512'] }),
      context({ execArgv: ['--max_old_space_size=512'] }),
      context({ execArgv: ['-max-old-space-size=512'] }),
      context({ execArgv: ['--max-old-space-size=300', '--max-old-space-size=512'] }),
      context({ env: { NODE_OPTIONS: '--enable-source-maps --max-old-space-size=512' } }),
      context({ env: { NODE_OPTIONS: '"--max-old-space-size=512" --trace-warnings' } }),
      // The operator's flag wins over HEAP_LIMIT_MB, and the log says which limit is in force.
      context({ env: { HEAP_LIMIT_MB: '0', NODE_OPTIONS: '--max-old-space-size=512' } }),
    ]) {
      expect(heapLimitDecision(ctx)).toMatchObject({ action: 'keep', limitMb: 512 });
    }
    // A value V8 reads as "its default" (0) is a choice too: kept, and never re-executed again.
    expect(heapLimitDecision(context({ execArgv: ['--max-old-space-size=0'] }))).toMatchObject({
      action: 'keep',
      limitMb: null,
    });
    // After its own re-execution the process finds its flag and goes on (no loop).
    expect(
      heapLimitDecision(context({ execArgv: ['--max-old-space-size=256', '--import', 'tsx'] })),
    ).toMatchObject({ action: 'keep', limitMb: 256 });
  });

  it("keeps an operator's semi-space size, and puts its own flags before the process's", () => {
    expect(heapLimitDecision(context({ execArgv: ['--max-semi-space-size=32'] }))).toEqual({
      action: 'reexecute',
      limitMb: DEFAULT_HEAP_LIMIT_MB,
      flags: [`--max-old-space-size=${DEFAULT_HEAP_LIMIT_MB}`],
    });
  });

  it("keeps Node's sizing where a container's memory limit already makes it smaller", () => {
    expect(heapLimitDecision(context({ currentHeapSizeLimitMb: 176 }))).toMatchObject({
      action: 'keep',
      limitMb: null,
      reason: expect.stringContaining('176 MB'),
    });
    expect(heapLimitDecision(context({ currentHeapSizeLimitMb: 2_096 }))).toMatchObject({
      action: 'reexecute',
    });
  });

  it('does not re-execute under a debugger', () => {
    for (const flag of ['--inspect', '--inspect-brk=0.0.0.0:9229', '--inspect-wait']) {
      expect(heapLimitDecision(context({ execArgv: [flag] }))).toMatchObject({
        action: 'keep',
        reason: expect.stringContaining('debugger'),
      });
    }
  });

  it('does not re-execute a fork (its IPC channel would close) or on a Node without process.execve', () => {
    expect(heapLimitDecision(context({ hasIpcChannel: true }))).toMatchObject({
      action: 'keep',
      reason: expect.stringContaining('IPC'),
    });
    expect(heapLimitDecision(context({ canReexecute: false }))).toMatchObject({
      action: 'keep',
      limitMb: null,
      reason: expect.stringContaining(`NODE_OPTIONS=--max-old-space-size=${DEFAULT_HEAP_LIMIT_MB}`),
    });
  });

  it('refuses a HEAP_LIMIT_MB that is not a whole number of MB, naming it', () => {
    for (const value of ['256MB', '-1', '1.5', '99999999', '32']) {
      expect(() => heapLimitDecision(context({ env: { HEAP_LIMIT_MB: value } }))).toThrow(/HEAP_LIMIT_MB/);
    }
  });
});

interface Probe {
  limitMb: number | null;
  reason: string;
  pid: number;
  node: string;
  execArgv: string[];
  argv: string[];
  v8HeapSizeLimitMb: number;
}

/** The probe run by `node` as a service entry runs, in a clean environment plus `env`. */
function probe(node: string, env: Record<string, string> = {}): Promise<{ childPid: number; seen: Probe }> {
  const tsx = path.join(PROJECT_ROOT, 'node_modules/tsx/dist/loader.mjs');
  const child = spawn(
    node,
    [
      '--import',
      `file://${tsx}`,
      path.join(PROJECT_ROOT, 'test/support/heap-limit-probe.ts'),
      'part-a',
      'part-b',
    ],
    { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH ?? '', ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`probe exited ${code}: ${err}`));
      resolve({ childPid: child.pid as number, seen: JSON.parse(out.trim()) as Probe });
    });
  });
}

describe('a service process applying its heap limit', () => {
  // The Node the container image runs (installed once by the project's script): it has process.execve.
  const nodeLts = path.join(
    execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts/install-node-lts.sh')], {
      encoding: 'utf8',
    }).trim(),
    'node',
  );

  it('re-executes itself with the limit: same pid, same arguments, a bounded V8 heap', async () => {
    const { childPid, seen } = await probe(nodeLts);
    expect(seen.pid).toBe(childPid);
    expect(seen.argv).toEqual(['part-a', 'part-b']);
    expect(seen.execArgv).toContain(`--max-old-space-size=${DEFAULT_HEAP_LIMIT_MB}`);
    expect(seen.limitMb).toBe(DEFAULT_HEAP_LIMIT_MB);
    const unbounded = await probe(nodeLts, { HEAP_LIMIT_MB: '0' });
    expect(unbounded.seen.limitMb).toBeNull();
    expect(unbounded.seen.execArgv.join(' ')).not.toContain('--max-old-space-size');
    // V8's whole limit is old space plus three semi-spaces: 256 + 3 × 16 (Node 24 alone would add 192).
    expect(seen.v8HeapSizeLimitMb).toBe(DEFAULT_HEAP_LIMIT_MB + 48);
    // Where Node's own sizing (host or container memory) was already tighter, nothing was re-executed.
    if (unbounded.seen.v8HeapSizeLimitMb > DEFAULT_HEAP_LIMIT_MB + 48) {
      expect(seen.execArgv[0]).toBe(`--max-old-space-size=${DEFAULT_HEAP_LIMIT_MB}`);
    }
  });

  it("keeps an operator's NODE_OPTIONS limit", async () => {
    const { seen } = await probe(nodeLts, { NODE_OPTIONS: '--max-old-space-size=300' });
    expect(seen).toMatchObject({ limitMb: 300 });
    expect(seen.execArgv.join(' ')).not.toContain(`--max-old-space-size=${DEFAULT_HEAP_LIMIT_MB}`);
  });

  it("on this test run's Node, re-executes where it can and otherwise says how to set the flag", async () => {
    const { childPid, seen } = await probe(process.execPath);
    expect(seen.pid).toBe(childPid);
    if (typeof (process as { execve?: unknown }).execve === 'function') {
      expect(seen.limitMb).toBe(DEFAULT_HEAP_LIMIT_MB);
    } else {
      expect(seen).toMatchObject({ limitMb: null, reason: expect.stringContaining('NODE_OPTIONS=') });
    }
  });
});
