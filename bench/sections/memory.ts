/**
 * Section 3, worker memory: one worker in a child process holds N pending verifications (session PENDING,
 * waiting on their poll timers); its RSS is sampled as they arrive, giving the peak RSS and the RSS per
 * cached workflow (slope of RSS against the worker's cache occupancy).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { build } from 'esbuild';
import { WORKFLOW_TYPE, type VerifyBeneficiaryInput, workflowIdFor } from '../../src/contracts';
import { beneficiaryIdKey } from '../../src/search-attributes';
import {
  type MemoryWorkerConfig,
  type MemoryWorkerReady,
  type MemoryWorkerStatus,
  STATUS_PREFIX,
} from '../memory-worker-protocol';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import type { LogLevel } from '../runtime';
import type { TemporalLab, WorkerTuning } from '../stack';
import { linearFit, round } from '../stats';
import { type Progress, mapLimit, sleep, waitFor, withTimeout } from '../util';

export interface MemoryOptions {
  pending: number;
  /** After `pending`, the same worker goes on to this many (0: not measured); the cache must bound it. */
  pendingLarge: number;
  tuning: WorkerTuning;
  workflowBundlePath: string;
  logFile: string;
  logLevel: LogLevel;
  /** `HEAP_LIMIT_MB` of the worker process (0: Node's default); the service's default when absent. */
  heapLimitMb?: number;
}

/** The worker process as it started: its Node and the heap limit the service's entry gave it. */
export interface MemoryWorkerInfo {
  node: string;
  heapLimitMb: number | null;
  heapLimitWhy: string;
  v8HeapSizeLimitMb: number;
}

export interface MemoryPoint {
  pending: number;
  cachedWorkflows: number;
  rssMB: number;
  /** Peak RSS of the process up to this point (getrusage max RSS and the samples). */
  peakRssMB: number;
  heapUsedMB: number;
}

export interface MemoryResult {
  pending: number;
  /** `--worker-heap-mb` (HEAP_LIMIT_MB of the worker), null: the service's default. */
  heapLimitMb: number | null;
  worker: MemoryWorkerInfo;
  /** Poll interval used so that timers keep waiting during the measurement. */
  pollIntervalMs: number;
  maxCachedWorkflows: number;
  idleRssMB: number;
  /** Peak RSS until all `pending` had arrived. */
  peakRssMB: number;
  rssAtFullLoadMB: number;
  /** The same worker, on to `pendingLarge`: RSS holding them, and the peak over the whole run. */
  large: { pending: number; rssMB: number; peakRssMB: number; cachedWorkflows: number } | null;
  points: MemoryPoint[];
  /** Slope of RSS over cached workflows (KB each), from the points up to the cache limit. */
  rssPerCachedWorkflowKB: number;
  /** RSS the worker would need to cache every pending verification, from that slope. */
  projectedRssAllCachedMB: number;
  startSeconds: number;
}

const MB = 1024 * 1024;
/** Long enough that no poll fires during the measurement: the workflows sit on their timers. */
const POLL_INTERVAL_MS = 6 * 60 * 60_000;

/** Where RSS is sampled: four steps up to the cache limit (for the slope), then on to `pending`. */
function steps(pending: number, pendingLarge: number, maxCached: number): number[] {
  const belowLimit = [0.25, 0.5, 0.75, 1].map((f) => Math.round(Math.min(maxCached, pending) * f));
  // Small runs (the smoke test) only need a slope, not a curve.
  const beyond = pending < 1_000 ? [1] : [0.1, 0.25, 0.5, 0.75, 1];
  const large = pendingLarge > pending ? [0.25, 0.5, 0.75, 1].map((f) => Math.round(pendingLarge * f)) : [];
  return [...new Set([...belowLimit, ...beyond.map((f) => Math.round(pending * f)), ...large])]
    .filter((n) => n >= 1)
    .sort((a, b) => a - b);
}

/**
 * The Node the container image runs (scripts/install-node-lts.sh installs it once, from the npm registry),
 * so that the worker re-executes itself with its heap limit as in production (Node 20 cannot).
 */
function workerNode(): string {
  try {
    const bin = execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'install-node-lts.sh')], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    return path.join(bin, 'node');
  } catch {
    return process.execPath;
  }
}

/**
 * The worker compiled to plain JavaScript, as the container image runs the service (`node dist/main.js`):
 * under tsx the same worker holds about 35 MB more (the TypeScript loader and its source maps).
 * Dependencies stay external, resolved from the project's node_modules, in whose cache folder it is built.
 */
async function compiledWorker(): Promise<string> {
  const outfile = path.join(PROJECT_ROOT, 'node_modules', '.cache', 'bench', 'memory-worker.js');
  await build({
    entryPoints: [path.join(__dirname, '..', 'memory-worker.ts')],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    packages: 'external',
    logLevel: 'error',
  });
  return outfile;
}

/** The shell's own heap settings stay out: the worker runs with the service's default unless asked. */
function workerEnv(config: MemoryWorkerConfig, heapLimitMb: number | undefined): NodeJS.ProcessEnv {
  const { HEAP_LIMIT_MB: _limit, NODE_OPTIONS: _options, ...env } = process.env;
  return {
    ...env,
    BENCH_MEMORY_WORKER: JSON.stringify(config),
    ...(heapLimitMb !== undefined && { HEAP_LIMIT_MB: String(heapLimitMb) }),
  };
}

function startChild(script: string, config: MemoryWorkerConfig, heapLimitMb?: number): ChildProcess {
  return spawn(workerNode(), [script], {
    env: workerEnv(config, heapLimitMb),
    stdio: ['ignore', 'pipe', 'inherit'],
  });
}

/** Calls `onMessage` with each message line of the child's stdout. */
function readMessages(child: ChildProcess, onMessage: (message: { type?: string }) => void): void {
  let buffered = '';
  child.stdout?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      if (line.startsWith(STATUS_PREFIX)) onMessage(JSON.parse(line.slice(STATUS_PREFIX.length)));
      newline = buffered.indexOf('\n');
    }
  });
}

export async function runMemory(
  lab: TemporalLab,
  options: MemoryOptions,
  progress: Progress,
): Promise<MemoryResult> {
  const taskQueue = `bench-memory-${randomUUID()}`;
  const child = startChild(
    await compiledWorker(),
    {
      address: lab.address,
      taskQueue,
      workflowBundlePath: options.workflowBundlePath,
      tuning: options.tuning,
      logFile: options.logFile,
      logLevel: options.logLevel,
      sampleMs: 250,
    },
    options.heapLimitMb,
  );
  let latest: MemoryWorkerStatus | null = null;
  let info: MemoryWorkerInfo | null = null;
  let peak = 0;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    readMessages(child, (message) => {
      if (message.type === 'ready') {
        const { type: _type, ...rest } = message as MemoryWorkerReady;
        info = rest;
        resolve();
      }
      if (message.type === 'status') {
        latest = message as MemoryWorkerStatus;
        peak = Math.max(peak, latest.maxRssBytes, latest.rssBytes);
      }
    });
    child.once('exit', (code) => reject(new Error(`memory worker exited early (code ${code})`)));
  });
  ready.catch(() => undefined);
  const status = (): MemoryWorkerStatus => {
    if (!latest) throw new Error('no status from the memory worker yet');
    return latest;
  };
  try {
    await withTimeout(ready, 60_000, 'memory worker start');
    await waitFor(() => latest !== null, { timeoutMs: 10_000, what: 'first memory sample' });
    await sleep(1_000);
    const idleRssMB = round(status().rssBytes / MB);
    const points: MemoryPoint[] = [
      {
        pending: 0,
        cachedWorkflows: 0,
        rssMB: idleRssMB,
        peakRssMB: round(peak / MB),
        heapUsedMB: round(status().heapUsedBytes / MB),
      },
    ];
    const total = Math.max(options.pending, options.pendingLarge);
    const prefix = `mem-${randomUUID().slice(0, 8)}`;
    let started = 0;
    const t0 = Date.now();
    for (const target of steps(options.pending, options.pendingLarge, status().maxCachedWorkflows)) {
      const ids = Array.from({ length: target - started }, (_, i) => `${prefix}-${started + i}`);
      await mapLimit(ids, 200, async (beneficiaryId) => {
        const input: VerifyBeneficiaryInput = {
          beneficiaryId,
          polling: { initialIntervalMs: POLL_INTERVAL_MS, maxIntervalMs: POLL_INTERVAL_MS },
        };
        await lab.client.workflow.start(WORKFLOW_TYPE, {
          workflowId: workflowIdFor(beneficiaryId),
          taskQueue,
          args: [input],
          typedSearchAttributes: [{ key: beneficiaryIdKey, value: beneficiaryId }],
        });
        started += 1;
        progress.count('pending verifications started', started, total);
      });
      // Every started workflow has run its first task once visibility shows its session as PENDING.
      await waitFor(
        async () => {
          const { count } = await lab.client.workflow.count(
            `TaskQueue = "${taskQueue}" AND VerificationStatus = "PENDING"`,
          );
          return count >= started && status().inFlightActivations === 0;
        },
        { timeoutMs: 120_000 + ids.length * 100, intervalMs: 250, what: `${started} verifications waiting` },
      );
      // Let the worker settle (and its status sample catch up) before reading RSS.
      await sleep(options.pending < 1_000 ? 800 : 1_500);
      const s = status();
      points.push({
        pending: started,
        cachedWorkflows: s.cachedWorkflows,
        rssMB: round(s.rssBytes / MB),
        peakRssMB: round(peak / MB),
        heapUsedMB: round(s.heapUsedBytes / MB),
      });
      progress.step(
        `memory: ${started} pending, ${s.cachedWorkflows} cached, RSS ${round(s.rssBytes / MB)} MB`,
      );
    }
    const startSeconds = round((Date.now() - t0) / 1000);
    const workerInfo: MemoryWorkerInfo | null = info;
    if (!workerInfo) throw new Error('the memory worker never said how it started');
    const maxCached = status().maxCachedWorkflows;
    // Until the cache is full nothing is evicted, and every pending workflow is a cached one.
    const belowLimit = points.filter((p) => p.cachedWorkflows === p.pending && p.pending <= maxCached);
    const fit = linearFit(belowLimit.map((p) => ({ x: p.cachedWorkflows, y: p.rssMB })));
    const perWorkflowKB = round(fit.slope * 1024, 1);
    const atPending = points.find((p) => p.pending === options.pending) as MemoryPoint;
    const last = points[points.length - 1] as MemoryPoint;
    const large =
      options.pendingLarge > options.pending
        ? {
            pending: last.pending,
            rssMB: last.rssMB,
            peakRssMB: round(peak / MB),
            cachedWorkflows: last.cachedWorkflows,
          }
        : null;
    return {
      pending: options.pending,
      heapLimitMb: options.heapLimitMb ?? null,
      worker: workerInfo,
      pollIntervalMs: POLL_INTERVAL_MS,
      maxCachedWorkflows: maxCached,
      idleRssMB,
      peakRssMB: atPending.peakRssMB,
      rssAtFullLoadMB: atPending.rssMB,
      large,
      points,
      rssPerCachedWorkflowKB: perWorkflowKB,
      projectedRssAllCachedMB: round(fit.intercept + fit.slope * options.pending),
      startSeconds,
    };
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(15_000).then(() => false)]);
    if (!stopped) child.kill('SIGKILL');
  }
}
