/**
 * The V8 heap limit every production process runs with, set by the process itself.
 *
 * Node sizes each isolate's heap from the memory it may use (about 4 GB on a 24 GB host without a container
 * limit; a container's limit makes it smaller, and then nothing is changed). A worker's workflow
 * thread turns its cache over as pending verifications arrive, and V8 lets the evicted workflows' garbage
 * pile up to well under that size: holding 10,000 pending verifications the worker's RSS peaked at 671 MB
 * with Node 20's default, and at 386 MB with `--max-old-space-size=256` (`npm run bench -- --sections
 * memory`, docs/benchmarks.md). Node 24 sizes the young generation from the old one (192 MB of
 * semi-spaces beside a 256 MB old space, against 48 MB on Node 20), and with the old-space limit alone its
 * worker still reached 617 MB; so the semi-spaces are bounded too, at Node 20's 16 MB. The limits apply to
 * every isolate (the main thread and the SDK's workflow thread) and can only be given when the process
 * starts, so the entry re-executes itself with them before any part starts (its modules are loaded, nothing
 * is opened): `process.execve` keeps the pid, stdin, stdout and stderr, so a supervisor, a container runtime
 * or a test that signals the process sees no difference. An operator's own flags win (ours go first; V8
 * takes the last). Node 20 has no `process.execve`; there the process keeps Node's default and says how to
 * set the flag.
 */
import { getHeapStatistics } from 'node:v8';
import { EnvReader } from '../env-readers';

/** `--max-old-space-size` of every production process unless `HEAP_LIMIT_MB` says otherwise. */
export const DEFAULT_HEAP_LIMIT_MB = 256;
/** Below this V8 runs out of memory while the worker starts. */
const MIN_HEAP_LIMIT_MB = 64;

const OLD_SPACE = 'max-old-space-size';
const SEMI_SPACE = 'max-semi-space-size';
/** Node 20's default for 64-bit hosts; Node 24 would otherwise take 64 MB per semi-space (three of them). */
const SEMI_SPACE_MB = 16;
/** A debugger attached to this process would lose it when the process is replaced. */
const DEBUGGER_OPTIONS = ['inspect', 'inspect-brk', 'inspect-wait'];

export interface HeapLimitContext {
  env: NodeJS.ProcessEnv;
  execArgv: readonly string[];
  /** `process.execve` exists (Node ≥ 22.15 / 23.11). */
  canReexecute: boolean;
  /** Started with an IPC channel (a fork): re-executing would close it. */
  hasIpcChannel: boolean;
  /** V8's heap size limit of this process as Node sized it (from the host's or the container's memory), MB. */
  currentHeapSizeLimitMb: number;
}

export type HeapLimitDecision =
  | { action: 'reexecute'; limitMb: number; flags: string[] }
  | { action: 'keep'; limitMb: number | null; reason: string };

/** NODE_OPTIONS split as Node splits it: on spaces, with double quotes grouping (and removed). */
function nodeOptionsArgs(value: string | undefined): string[] {
  return [...(value ?? '').matchAll(/(?:[^\s"]+|"[^"]*")+/g)].map((m) => m[0].replace(/"/g, ''));
}

/**
 * The value of V8 option `name` in `args` as V8 reads it: any of `--name=v`, `-name=v`, with `_` for `-`;
 * the last occurrence wins. Undefined when absent; NaN when present without a number.
 */
function v8Option(args: readonly string[], name: string): number | undefined {
  let value: number | undefined;
  for (const arg of args) {
    const match = /^--?([a-z0-9_-]+)(?:=(.*))?$/i.exec(arg);
    if (!match || (match[1] as string).replace(/_/g, '-').toLowerCase() !== name) continue;
    value = match[2] === undefined ? Number.NaN : Number(match[2]);
  }
  return value;
}

const keep = (limitMb: number | null, reason: string): HeapLimitDecision => ({
  action: 'keep',
  limitMb,
  reason,
});

/** What the entry does about its heap limit; pure, so that every case is tested without re-executing. */
export function heapLimitDecision(context: HeapLimitContext): HeapLimitDecision {
  const read = new EnvReader(context.env);
  const configured = read.integer('HEAP_LIMIT_MB', 0, 65_536);
  read.throwIfAny();
  if (configured !== undefined && configured !== 0 && configured < MIN_HEAP_LIMIT_MB) {
    throw new Error(`HEAP_LIMIT_MB must be 0 (Node's default) or at least ${MIN_HEAP_LIMIT_MB}`);
  }
  const nodeOptions = nodeOptionsArgs(context.env.NODE_OPTIONS);
  const all = [...nodeOptions, ...context.execArgv];
  // Any spelling of the flag, whatever its value, means someone chose: this also ends the re-execution.
  const given = v8Option(all, OLD_SPACE);
  if (given !== undefined) {
    const shown = Number.isFinite(given) && given > 0 ? given : null;
    return keep(
      shown,
      `--${OLD_SPACE}=${shown ?? 'default'} set at start-up (HEAP_LIMIT_MB, the command line or NODE_OPTIONS)`,
    );
  }
  const limitMb = configured ?? DEFAULT_HEAP_LIMIT_MB;
  if (limitMb === 0) return keep(null, 'HEAP_LIMIT_MB=0: Node’s default heap');
  // In a container with a small memory limit Node's own sizing is already tighter.
  const operatorSemiSpaceMb = v8Option(all, SEMI_SPACE);
  if (context.currentHeapSizeLimitMb <= limitMb + 3 * (operatorSemiSpaceMb ?? SEMI_SPACE_MB)) {
    return keep(
      null,
      `Node’s default heap (${context.currentHeapSizeLimitMb} MB, from the memory it may use) is within the limit`,
    );
  }
  if (context.hasIpcChannel) return keep(null, 'started with an IPC channel, which re-executing would close');
  if (DEBUGGER_OPTIONS.some((name) => v8Option(all, name) !== undefined)) {
    return keep(null, 'started with a debugger, which re-executing would disconnect');
  }
  if (!context.canReexecute) {
    return keep(
      null,
      `this Node has no process.execve; start it with NODE_OPTIONS=--${OLD_SPACE}=${limitMb}`,
    );
  }
  // Before the process's own flags, so that any of them (V8 takes the last) still decides.
  const flags = [
    `--${OLD_SPACE}=${limitMb}`,
    ...(operatorSemiSpaceMb === undefined ? [`--${SEMI_SPACE}=${SEMI_SPACE_MB}`] : []),
  ];
  return { action: 'reexecute', limitMb, flags };
}

/** `process.execve` (Node ≥ 22.15 / 23.11), which the Node 20 type definitions do not declare. */
type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

function execveOf(proc: NodeJS.Process): Execve | undefined {
  const candidate = (proc as { execve?: unknown }).execve;
  return typeof candidate === 'function' ? (candidate.bind(proc) as Execve) : undefined;
}

/**
 * Called by the service's entry before any part starts (the modules are loaded, nothing is opened yet):
 * re-executes the process with the heap limit (and does not return) or returns what the process runs
 * with, for its start-up log line.
 */
export function applyHeapLimit(): { limitMb: number | null; reason: string } {
  const execve = execveOf(process);
  const decision = heapLimitDecision({
    env: process.env,
    execArgv: process.execArgv,
    canReexecute: execve !== undefined,
    hasIpcChannel: process.channel !== undefined,
    currentHeapSizeLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024),
  });
  if (decision.action === 'keep') return { limitMb: decision.limitMb, reason: decision.reason };
  if (execve === undefined) return { limitMb: null, reason: 'process.execve is missing' };
  const argv = [process.execPath, ...decision.flags, ...process.execArgv, ...process.argv.slice(1)];
  try {
    return execve(process.execPath, argv, process.env);
  } catch (err) {
    // E.g. the permission model without --allow-child-process: run on with Node's default.
    return {
      limitMb: null,
      reason: `re-executing failed (${err instanceof Error ? err.message : String(err)})`,
    };
  }
}
