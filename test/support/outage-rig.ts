import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Client, Connection, type ConnectionOptions, WorkflowFailedError } from '@temporalio/client';
import { InternalConnectionOptionsSymbol } from '@temporalio/client/lib/connection';
import { msToTs, tsToMs } from '@temporalio/common/lib/time';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { type StartVerificationOptions, VerificationClient } from '../../src/client/verification-client';
import type { VerificationResult, VerificationStateView } from '../../src/contracts';
import { workflowIdFor } from '../../src/contracts';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { type WorkerProcess, killAllWorkers, startWorkerProcess } from './chaos-worker';
import { FakeCalizaServer } from './fake-caliza-server';
import { ScriptedSessions } from './outage-caliza';
import { type RunFacts, runChain } from './outage-history';
import { createTimeSkippingEnv, uniqueTaskQueue } from './temporal';

/**
 * Events a run may have beyond its `maxHistoryEventsPerRun`. The bound is checked only where the run waits,
 * so the events written between the check and the continue-as-new pass it: the task that decides to
 * continue (3), a local-activity cycle that was already under way (3 attempts: a few markers and task
 * events), signals and updates that arrived in between (each a few events), and the update failures a
 * continue-as-new writes for every `session` update still pending. 60 covers about a dozen of those.
 */
export const HISTORY_SLACK_EVENTS = 60;

/**
 * A workflow task that runs no local activity completes in milliseconds; one that takes seconds is a loop
 * that does not yield (5 s kills the isolate). `OUTAGE_MAX_TASK_MS` raises it on a slow machine.
 */
export const MAX_PLAIN_TASK_MS = Number(process.env.OUTAGE_MAX_TASK_MS ?? 1_000);

/**
 * A task that runs one Caliza call cycle: 3 attempts of at most the client timeout (500 ms here) with 1 s
 * and 2 s between them, about 5 s. Below core's 8 s heartbeat of a long task, so a cycle never needs one.
 */
export const MAX_LOCAL_ACTIVITY_TASK_MS = 10_000;

/** Options of a `start()` these tests make: always bounded by `timeoutMs`. */
export type TimedStartOptions = StartVerificationOptions;

/** The `start()` answer for a session that is not there yet. */
export const NOT_CREATED = 'NOT_CREATED';

/**
 * Healthy verifications the rig runs before it is handed out, in rounds of these sizes. On a fresh Java
 * test server the first update-with-start takes 2-3 s before the workflow even starts (the server's own
 * code paths are cold; the second takes a few hundred ms, the third ~10 ms), a fresh worker's first
 * workflow task 1-2 s more (the workflow sandbox, the first token), and its first tasks run side by side
 * over a second. Paid by the first `start()` calls of a test, they made healthy ones with a 4 s timeout
 * answer NOT_CREATED; neither cost is what a test is about.
 */
const WARM_UP_ROUNDS = [1, 1, 6];
const WARM_UP_START_TIMEOUT_MS = 60_000;

/** How one `start()` call went. */
export interface StartAnswer {
  /** What the test expected of it (for the report). */
  label: string;
  /** Real time from the call to its answer (or to giving up on it). */
  elapsedMs: number;
  /** Real clock (`Date.now()`) when it was answered or given up on. */
  answeredAt: number;
  timeoutMs: number;
  answered: 'RETURNED' | 'REJECTED' | 'NO_ANSWER';
  status: string | null;
  verificationUrl: string | null;
  /** Failure type (or error name) of a rejection. */
  error: string | null;
}

/** The state view with the fields the outage handling adds (absent before it). */
export type OutageStateView = VerificationStateView & {
  callFailures?: number;
  lastCallFailure?: { type: string; kind: string; message: string; at: string } | null;
};

/** Workflow time stopped moving: something holds a workflow task open (or no worker takes tasks). */
export class TimeStalledError extends Error {
  constructor(
    readonly wantedMs: number,
    readonly reachedMs: number,
    readonly realMs: number,
  ) {
    super(
      `workflow time stalled: a ${Math.round(wantedMs / 60_000)} min step advanced only ` +
        `${Math.round(reachedMs / 1000)} s in ${Math.round(realMs / 1000)} s of real time ` +
        '(a workflow task is held open, e.g. a local activity that keeps retrying, or no worker runs)',
    );
  }
}

const traceStarted = Date.now();
/** Progress on stderr with `OUTAGE_TRACE=1`, for finding where a slow run spends its real time. */
export function trace(message: string): void {
  if (process.env.OUTAGE_TRACE === '1') {
    process.stderr.write(`[outage +${((Date.now() - traceStarted) / 1000).toFixed(1)} s] ${message}\n`);
  }
}

export async function sleepReal(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

function errorType(err: unknown): string {
  let current: unknown = err;
  // The most specific failure type in the cause chain (an ApplicationFailure's type, else a name).
  let found: string | null = null;
  while (current && typeof current === 'object') {
    const candidate = current as { type?: unknown; name?: unknown; cause?: unknown };
    if (typeof candidate.type === 'string') found = candidate.type;
    else if (found === null && typeof candidate.name === 'string') found = candidate.name;
    current = candidate.cause;
  }
  return found ?? String(err);
}

/**
 * The Java test server closes a connection that pings more often than every 5 minutes while it has no
 * calls ("excess pings"); the SDK's defaults ping every 30 s, and calls caught in the reconnect hung.
 */
function connectionOptions(address: string): ConnectionOptions {
  return {
    address,
    channelArgs: { 'grpc.keepalive_time_ms': 10 * 60_000, 'grpc.keepalive_permit_without_calls': 0 },
  };
}

/** Polls `check` in real time until it returns a value other than undefined; null after `timeoutMs`. */
export async function waitUntil<T>(
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) return null;
    await sleepReal(intervalMs);
  }
}

export interface OutageRigOptions {
  /** More worker environment; `CALIZA_TIMEOUT_MS` is 500 unless given. */
  workerEnv?: Record<string, string>;
}

/**
 * The time-skipping test server, Caliza as a scripted fake over HTTP, and the production worker in a
 * child process pointed at both. The test moves workflow time itself ({@link advance}); the client here
 * never unlocks time skipping on its own (it is a plain client, not the environment's).
 */
export class OutageRig {
  private constructor(
    readonly env: TestWorkflowEnvironment,
    /** Only for the test service's sleep, which stays open while time cannot move. */
    private readonly clock: Connection,
    private readonly timeReader: Connection,
    readonly fake: FakeCalizaServer,
    readonly caliza: ScriptedSessions,
    readonly worker: WorkerProcess,
    readonly client: Client,
    readonly verifications: VerificationClient,
  ) {}

  static async start(options: OutageRigOptions = {}): Promise<OutageRig> {
    const env = await createTimeSkippingEnv();
    let fake: FakeCalizaServer | undefined;
    const connections: Connection[] = [];
    try {
      // Connections of their own: a sleep left hanging by stalled time must not hold up the client's calls.
      const clock = await Connection.connect({
        ...connectionOptions(env.address),
        [InternalConnectionOptionsSymbol]: { supportsTestService: true },
      } as ConnectionOptions);
      connections.push(clock);
      const timeReader = await Connection.connect({
        ...connectionOptions(env.address),
        [InternalConnectionOptionsSymbol]: { supportsTestService: true },
      } as ConnectionOptions);
      connections.push(timeReader);
      const connection = await Connection.connect(connectionOptions(env.address));
      connections.push(connection);
      fake = await FakeCalizaServer.start({ expiresInS: 365 * 24 * 3600 });
      const taskQueue = uniqueTaskQueue('outage');
      const worker = await startWorkerProcess({
        address: env.address,
        taskQueue,
        caliza: fake,
        // `worker started` is an info line.
        logLevel: 'info',
        env: { CALIZA_TIMEOUT_MS: '500', ...options.workerEnv },
      });
      const client = new Client({ connection, namespace: env.namespace ?? 'default' });
      const rig = new OutageRig(
        env,
        clock,
        timeReader,
        fake,
        new ScriptedSessions(fake),
        worker,
        client,
        new VerificationClient(client, { taskQueue }),
      );
      await rig.warmUp();
      return rig;
    } catch (err) {
      for (const c of connections) await c.close().catch(() => undefined);
      await fake?.close().catch(() => undefined);
      await env.teardown().catch(() => undefined);
      throw err;
    }
  }

  /**
   * The {@link WARM_UP_ROUNDS}: each verification is terminated once it has its session. Their Caliza calls
   * go to beneficiaries of their own and count for no test.
   */
  private async warmUp(): Promise<void> {
    for (const [round, size] of WARM_UP_ROUNDS.entries()) {
      const started = Date.now();
      await Promise.all(
        Array.from({ length: size }, async (_, i) => {
          const beneficiaryId = `warm-up-${round}-${i}`;
          this.caliza.add(beneficiaryId);
          const answer = await this.verifications.start(beneficiaryId, {
            timeoutMs: WARM_UP_START_TIMEOUT_MS,
          });
          if (!answer.verificationUrl)
            throw new Error(`warm-up verification ${beneficiaryId} got no session: ${answer.status}`);
          await this.client.workflow.getHandle(workflowIdFor(beneficiaryId)).terminate('warm-up done');
        }),
      );
      trace(`warm-up round ${round} (${size} at once): ${Date.now() - started} ms`);
    }
  }

  /** Workflow time of the test server. */
  async now(): Promise<number> {
    const answer = await this.timeReader.testService?.getCurrentTime({});
    return tsToMs(answer?.time);
  }

  /**
   * Moves workflow time forward by `ms` in steps of `stepMs`, calling `onStep` after each. A step that
   * takes longer than `realBudgetMs` of real time fails with {@link TimeStalledError}. Time stands still
   * between steps (the server skips only while a step is under way).
   */
  async advance(
    ms: number,
    options: {
      stepMs: number;
      realBudgetMs: number;
      /** Each step lasts at least this long in real time, so client calls in flight see it pass. */
      minRealMsPerStep?: number;
      onStep?: (elapsedMs: number) => Promise<void>;
    },
  ): Promise<void> {
    let done = 0;
    while (done < ms) {
      const step = Math.min(options.stepMs, ms - done);
      const before = await this.now();
      trace(`advancing ${Math.round(step / 60_000)} min from ${new Date(before).toISOString()}`);
      const startedReal = Date.now();
      const abort = new AbortController();
      const sleeping = this.clock.withAbortSignal(abort.signal, async () => {
        await this.clock.testService?.unlockTimeSkippingWithSleep({ duration: msToTs(step) });
      });
      let timer: NodeJS.Timeout | undefined;
      const budget = new Promise<'stalled'>((resolve) => {
        timer = setTimeout(() => resolve('stalled'), options.realBudgetMs);
      });
      const outcome = await Promise.race([sleeping.then(() => 'done' as const), budget]);
      clearTimeout(timer);
      if (outcome === 'stalled') {
        abort.abort();
        sleeping.catch(() => undefined);
        throw new TimeStalledError(step, (await this.now()) - before, Date.now() - startedReal);
      }
      done += step;
      const pause = (options.minRealMsPerStep ?? 0) - (Date.now() - startedReal);
      if (pause > 0) await sleepReal(pause);
      trace(
        `advanced ${Math.round(done / 60_000)} of ${Math.round(ms / 60_000)} min in ${Date.now() - startedReal} ms`,
      );
      await options.onStep?.(done);
    }
  }

  /** Whether the worker process still runs, and what it said if it died or Node's hooks broke. */
  workerHealth(): { alive: boolean; exit: string | null; fatalLines: string[] } {
    const child = this.worker.process;
    const alive = child.exitCode === null && child.signalCode === null;
    return {
      alive,
      exit: alive ? null : `code ${child.exitCode}, signal ${child.signalCode}`,
      fatalLines: this.worker.lines.filter((line) =>
        /async hook stack|FATAL ERROR|Segmentation fault|Aborted/i.test(line),
      ),
    };
  }

  /**
   * `start()` with a timeout, given up on (and its RPCs aborted) `graceMs` after the timeout when the
   * client did not answer by then.
   */
  async timedStart(
    beneficiaryId: string,
    options: TimedStartOptions,
    label: string,
    graceMs = 3_000,
  ): Promise<StartAnswer> {
    const timeoutMs = options.timeoutMs ?? 60_000;
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs + graceMs);
    const started = Date.now();
    try {
      const answer = await this.client.connection.withAbortSignal(abort.signal, () =>
        this.verifications.start(beneficiaryId, options),
      );
      return {
        label,
        elapsedMs: Date.now() - started,
        answeredAt: Date.now(),
        timeoutMs,
        answered: 'RETURNED',
        status: answer.status as string,
        verificationUrl: answer.verificationUrl,
        error: null,
      };
    } catch (err) {
      return {
        label,
        elapsedMs: Date.now() - started,
        answeredAt: Date.now(),
        timeoutMs,
        answered: abort.signal.aborted ? 'NO_ANSWER' : 'REJECTED',
        status: null,
        verificationUrl: null,
        error: abort.signal.aborted ? null : errorType(err),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  /** The state query, bounded (a dead worker would leave it waiting). Null when it got no answer. */
  async state(beneficiaryId: string, timeoutMs = 5_000): Promise<OutageStateView | null> {
    return this.bounded(timeoutMs, () => this.verifications.getState(beneficiaryId)).catch(() => null);
  }

  /** RUNNING, COMPLETED, FAILED… of the latest run. */
  async status(beneficiaryId: string): Promise<string> {
    const description = await this.client.workflow.getHandle(workflowIdFor(beneficiaryId)).describe();
    return description.status.name;
  }

  /** The result of a closed verification, the failure of a failed one, or null while it runs. */
  async closedResult(beneficiaryId: string): Promise<VerificationResult | Error | null> {
    if ((await this.status(beneficiaryId)) === 'RUNNING') return null;
    try {
      return await this.bounded(10_000, () => this.verifications.result(beneficiaryId));
    } catch (err) {
      if (err instanceof WorkflowFailedError) return err;
      throw err;
    }
  }

  async runs(beneficiaryId: string): Promise<RunFacts[]> {
    return runChain(this.client, workflowIdFor(beneficiaryId));
  }

  private async bounded<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
    const abort = new AbortController();
    const timer = setTimeout(() => abort.abort(), timeoutMs);
    try {
      return await this.client.connection.withAbortSignal(abort.signal, fn);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.worker.stop(5_000).catch(() => undefined);
    await killAllWorkers();
    await this.fake.close().catch(() => undefined);
    await this.client.connection.close().catch(() => undefined);
    await this.clock.close().catch(() => undefined);
    await this.timeReader.close().catch(() => undefined);
    await this.env.teardown().catch(() => undefined);
  }
}

export const OUTAGE_FIGURES_PATH = path.join(PROJECT_ROOT, 'test-results', 'outage-figures.json');

/** Merges `section` into `test-results/outage-figures.json` (each test file writes its own sections). */
export function recordOutageFigures(section: string, figures: unknown): void {
  let report: Record<string, unknown> = {};
  if (existsSync(OUTAGE_FIGURES_PATH)) {
    try {
      report = JSON.parse(readFileSync(OUTAGE_FIGURES_PATH, 'utf8')) as Record<string, unknown>;
    } catch {
      report = {};
    }
  }
  report[section] = figures;
  report.updatedAt = new Date().toISOString();
  mkdirSync(path.dirname(OUTAGE_FIGURES_PATH), { recursive: true });
  writeFileSync(OUTAGE_FIGURES_PATH, `${JSON.stringify(report, null, 2)}\n`);
}
