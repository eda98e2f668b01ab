/**
 * The V8 heap limit every production process runs with, set by the process itself.
 *
 * Node sizes each isolate's heap from the machine's memory (about 4 GB on a 24 GB host). A worker's workflow
 * thread turns its cache over as pending verifications arrive, and V8 lets the evicted workflows' garbage
 * pile up to well under that size: holding 10,000 pending verifications the worker's RSS peaked at 671 MB
 * with Node 20's default, and at 386 MB with `--max-old-space-size=256` (`npm run bench -- --sections
 * memory`, docs/benchmarks.md). Node 24 sizes the young generation from the old one (192 MB of
 * semi-spaces beside a 256 MB old space, against 48 MB on Node 20), and with the old-space limit alone its
 * worker still reached 617 MB; so the semi-spaces are bounded too, at Node 20's 16 MB. The limits apply to
 * every isolate (the main thread and the SDK's workflow thread) and can only be given when the process
 * starts, so the entry re-executes itself with them before anything
 * else runs: `process.execve` keeps the pid, stdin, stdout and stderr, so a supervisor, a container runtime
 * or a test that signals the process sees no difference. Node 20 has no `process.execve`; there the process
 * keeps Node's default and says how to set the flag.
 */
import { EnvReader } from '../env-readers';

/** `--max-old-space-size` of every production process unless `HEAP_LIMIT_MB` says otherwise. */
export const DEFAULT_HEAP_LIMIT_MB = 256;

const FLAG = '--max-old-space-size';
/** Node 20's default for 64-bit hosts; Node 24 would otherwise take 64 MB per semi-space (three of them). */
const SEMI_SPACE_FLAG = '--max-semi-space-size=16';

export interface HeapLimitContext {
  env: NodeJS.ProcessEnv;
  execArgv: readonly string[];
  /** `process.execve` exists (Node ≥ 22.15 / 23.11). */
  canReexecute: boolean;
  /** Started with an IPC channel (a fork): re-executing would close it. */
  hasIpcChannel: boolean;
}

export type HeapLimitDecision =
  | { action: 'reexecute'; limitMb: number; flags: string[] }
  | { action: 'keep'; limitMb: number | null; reason: string };

/** The flag's value in `args` (null when it has none Node would read), undefined when it is absent. */
function flagValue(args: readonly string[]): number | null | undefined {
  const index = args.findIndex((arg) => arg === FLAG || arg.startsWith(`${FLAG}=`));
  if (index === -1) return undefined;
  const arg = args[index] as string;
  const value = Number(arg === FLAG ? args[index + 1] : arg.slice(FLAG.length + 1));
  return Number.isFinite(value) && value > 0 ? value : null;
}

/** What the entry does about its heap limit; pure, so that every case is tested without re-executing. */
export function heapLimitDecision(context: HeapLimitContext): HeapLimitDecision {
  const read = new EnvReader(context.env);
  const configured = read.integer('HEAP_LIMIT_MB', 0, 65_536);
  read.throwIfAny();
  const limitMb = configured ?? DEFAULT_HEAP_LIMIT_MB;
  if (limitMb === 0) return { action: 'keep', limitMb: null, reason: 'HEAP_LIMIT_MB=0: Node’s default heap' };
  const nodeOptions = (context.env.NODE_OPTIONS ?? '').split(/\s+/);
  const given = flagValue(context.execArgv) ?? flagValue(nodeOptions);
  if (given !== undefined) {
    return {
      action: 'keep',
      limitMb: given,
      reason: `${FLAG}=${given ?? '?'} set at start-up (by HEAP_LIMIT_MB, the command line or NODE_OPTIONS)`,
    };
  }
  if (context.hasIpcChannel) {
    return {
      action: 'keep',
      limitMb: null,
      reason: 'started with an IPC channel, which re-executing would close',
    };
  }
  if (!context.canReexecute) {
    return {
      action: 'keep',
      limitMb: null,
      reason: `this Node has no process.execve; start it with NODE_OPTIONS=${FLAG}=${limitMb}`,
    };
  }
  return { action: 'reexecute', limitMb, flags: [`${FLAG}=${limitMb}`, SEMI_SPACE_FLAG] };
}

/** `process.execve` (Node ≥ 22.15 / 23.11), which the Node 20 type definitions do not declare. */
type Execve = (file: string, args: readonly string[], env: NodeJS.ProcessEnv) => never;

function execveOf(proc: NodeJS.Process): Execve | undefined {
  const candidate = (proc as { execve?: unknown }).execve;
  return typeof candidate === 'function' ? (candidate.bind(proc) as Execve) : undefined;
}

function reasonOf(decision: HeapLimitDecision): string {
  return decision.action === 'keep' ? decision.reason : 'not re-executed';
}

/**
 * Called first by the entry: re-executes the process with the heap limit (and does not return) or returns
 * what the process runs with, for its start-up log line.
 */
export function applyHeapLimit(): { limitMb: number | null; reason: string } {
  const execve = execveOf(process);
  const decision = heapLimitDecision({
    env: process.env,
    execArgv: process.execArgv,
    canReexecute: execve !== undefined,
    hasIpcChannel: process.channel !== undefined,
  });
  if (decision.action === 'keep' || execve === undefined) {
    return { limitMb: decision.limitMb, reason: reasonOf(decision) };
  }
  const argv = [process.execPath, ...process.execArgv, ...decision.flags, ...process.argv.slice(1)];
  return execve(process.execPath, argv, process.env);
}
