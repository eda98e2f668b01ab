/**
 * Section 1, end to end: N verifications started at once on the embedded stack; the sandbox double decides
 * each after a random delay and sends its signed webhook to the real receiver, which signals the workflow;
 * the workflow confirms with one read and completes. In the same run, a baseline workflow of the same shape
 * (one local activity, one signal, complete) on the same server and worker tuning gives the server's limit.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { sampleBusiness, sampleIndividual } from '../../dev/sample-beneficiaries';
import { WORKER_TUNING_DEFAULTS } from '../../src/worker';
import { type BaselineActivities, baselineSignal, type baselineWorkflow } from '../baseline-workflow';
import { type CpuProfile, startCpuProfile } from '../cpu';
import { type RunSummary, fetchRunSummary } from '../histories';
import { effectiveTuning } from '../runtime';
import { ServerMetrics, perUnit } from '../server-metrics';
import { type TemporalLab, type WorkerTuning, runWorker, startVerificationStack } from '../stack';
import { type Distribution, distribution, ratio, round, seededRandom } from '../stats';
import { type Progress, mapLimit, sleep, waitFor } from '../util';

export interface EndToEndOptions {
  n: number;
  /** Starts in flight at once. */
  concurrency: number;
  warmup: number;
  autoDecide: { minDelayMs: number; maxDelayMs: number; approveShare: number };
  processingDelayMs: number;
  seed: number;
}

export interface BatchResult {
  n: number;
  completed: number;
  notCompleted: number;
  wallSeconds: number;
  perSecond: number;
  /** Round trip of the start call (update-with-start for verifications, a plain start for the baseline). */
  startMs: Distribution;
  /** From the accepted delivery (the receiver's 200 for verifications) to the completion event. */
  deliveryToResultMs: Distribution;
  /** Server clock: signal event to completion event. */
  signalToCompletionMs: Distribution;
  eventsPerRun: Distribution;
  workflowTasksPerRun: Distribution;
  /** Where a workflow task's time goes, by task index (1 = first task of the run). */
  workflowTaskTimings: { task: number; queueMs: Distribution; workerMs: Distribution }[];
  /** CPU used by each part of the stack from the first start to the last completion. */
  cpu: CpuProfile;
  /** The dev server's persistence and visibility work per workflow, from its metrics. */
  server?: Record<string, unknown>;
}

export interface EndToEndResult {
  options: EndToEndOptions;
  tuning: Record<string, unknown>;
  verifications: BatchResult & {
    outcomes: Record<string, number>;
    decidedBy: Record<string, number>;
    calizaCallsPerVerification: number;
    calizaCalls: Record<string, number>;
    webhooks: { accepted: number; alreadyEnded: number };
  };
  baseline: BatchResult;
  /** Verifications per second ÷ baseline workflows per second. */
  throughputRatio: number;
}

interface SectionContext {
  lab: TemporalLab;
  logger: Logger;
  progress: Progress;
  tuning: WorkerTuning;
  workflowBundlePath: string;
  baselineBundlePath: string;
  serverMetrics: ServerMetrics;
}

const runningQuery = (taskQueue: string): string =>
  `TaskQueue = "${taskQueue}" AND ExecutionStatus = "Running"`;

/** Waits until visibility shows no running workflow on the task queue (bounded), reporting progress. */
async function waitForCompletion(
  client: Client,
  taskQueue: string,
  total: number,
  timeoutMs: number,
  progress: Progress,
  label: string,
): Promise<void> {
  await waitFor(
    async () => {
      const { count } = await client.workflow.count(runningQuery(taskQueue));
      progress.count(label, total - count, total);
      return count === 0;
    },
    { timeoutMs, intervalMs: 250, what: `${label}: every workflow completed` },
  );
}

function summarizeBatch(
  n: number,
  batchStartedAt: number,
  startMs: number[],
  runs: RunSummary[],
  deliveredAt: (run: RunSummary) => number | undefined,
  cpu: CpuProfile,
): BatchResult {
  const completed = runs.filter((r) => r.status === 'COMPLETED' && r.closedAt !== null);
  const lastClose = Math.max(...completed.map((r) => r.closedAt as number));
  const wallSeconds = completed.length > 0 ? (lastClose - batchStartedAt) / 1000 : Number.NaN;
  const deliveryToResult: number[] = [];
  const signalToCompletion: number[] = [];
  for (const run of completed) {
    const delivered = deliveredAt(run);
    if (delivered !== undefined) deliveryToResult.push((run.closedAt as number) - delivered);
    if (run.firstSignalAt !== null) signalToCompletion.push((run.closedAt as number) - run.firstSignalAt);
  }
  return {
    n,
    completed: completed.length,
    notCompleted: n - completed.length,
    wallSeconds: round(wallSeconds, 2),
    perSecond: round(completed.length / wallSeconds, 1),
    startMs: distribution(startMs),
    deliveryToResultMs: distribution(deliveryToResult),
    signalToCompletionMs: distribution(signalToCompletion),
    eventsPerRun: distribution(runs.map((r) => r.events)),
    workflowTasksPerRun: distribution(runs.map((r) => r.workflowTasks)),
    workflowTaskTimings: [0, 1, 2].flatMap((i) => {
      const timings = runs.flatMap((r) => (r.taskTimings[i] ? [r.taskTimings[i]] : []));
      if (timings.length === 0) return [];
      return [
        {
          task: i + 1,
          queueMs: distribution(timings.map((t) => t.queueMs)),
          workerMs: distribution(timings.map((t) => t.workerMs)),
        },
      ];
    }),
    cpu,
  };
}

async function runBaseline(
  ctx: SectionContext,
  options: EndToEndOptions,
  timeoutMs: number,
): Promise<BatchResult> {
  const { lab, progress } = ctx;
  const taskQueue = `bench-baseline-${randomUUID()}`;
  const random = seededRandom(options.seed);
  const delay = () =>
    options.autoDecide.minDelayMs +
    random() * (options.autoDecide.maxDelayMs - options.autoDecide.minDelayMs) +
    options.processingDelayMs;
  const delivered = new Map<string, number>();
  // Like the double, which starts its decision timer when the session is created (in our first local
  // activity), the baseline's activity starts the timer after which its one signal is sent.
  const activities: BaselineActivities = {
    baselineStep: async (id) => {
      const signal = sleep(delay()).then(async () => {
        await lab.client.workflow.signalWithStart<typeof baselineWorkflow, [string]>('baselineWorkflow', {
          workflowId: id,
          taskQueue,
          args: [id],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          signal: baselineSignal,
          signalArgs: ['approved'],
        });
        if (!delivered.has(id)) delivered.set(id, Date.now());
      });
      // A failed signal leaves its workflow running, which the bounded completion wait reports.
      signal.catch(() => undefined);
      return id;
    },
  };
  const worker = await runWorker(
    () =>
      Worker.create({
        connection: lab.native,
        taskQueue,
        workflowBundle: { codePath: ctx.baselineBundlePath },
        activities,
        shutdownGraceTime: '10s',
        // The same task-queue settings as the verification worker: its defaults, then any overrides.
        ...WORKER_TUNING_DEFAULTS,
        ...ctx.tuning,
      }),
    taskQueue,
  );
  try {
    const batch = async (ids: string[], label: string) => {
      const startMs: number[] = [];
      let started = 0;
      await mapLimit(ids, options.concurrency, async (id) => {
        const t = Date.now();
        await lab.client.workflow.start<typeof baselineWorkflow>('baselineWorkflow', {
          workflowId: id,
          taskQueue,
          args: [id],
        });
        startMs.push(Date.now() - t);
        progress.count(`${label} started`, ++started, ids.length);
      });
      return startMs;
    };
    const prefix = `baseline-${randomUUID().slice(0, 8)}`;
    const warmIds = Array.from({ length: options.warmup }, (_, i) => `${prefix}-warm-${i}`);
    if (warmIds.length > 0) {
      await batch(warmIds, 'baseline warm-up');
      await waitForCompletion(
        lab.client,
        taskQueue,
        warmIds.length,
        timeoutMs,
        progress,
        'baseline warm-up done',
      );
    }
    const ids = Array.from({ length: options.n }, (_, i) => `${prefix}-${i}`);
    progress.step(`baseline: ${ids.length} workflows`);
    const metricsBefore = await ctx.serverMetrics.sample();
    const cpu = startCpuProfile(lab.serverPids());
    const t0 = Date.now();
    const startMs = await batch(ids, 'baseline');
    await waitForCompletion(
      lab.client,
      taskQueue,
      warmIds.length + ids.length,
      timeoutMs,
      progress,
      'baseline done',
    );
    const cpuProfile = cpu.stop();
    const server = perUnit(ServerMetrics.delta(metricsBefore, await ctx.serverMetrics.sample()), ids.length);
    const runs = await mapLimit(ids, 16, (id) => fetchRunSummary(lab.client, id));
    return {
      ...summarizeBatch(ids.length, t0, startMs, runs, (run) => delivered.get(run.workflowId), cpuProfile),
      server,
    };
  } finally {
    await worker.stop();
  }
}

async function runVerifications(
  ctx: SectionContext,
  options: EndToEndOptions,
  timeoutMs: number,
): Promise<Omit<EndToEndResult, 'options' | 'baseline' | 'throughputRatio'>> {
  const { lab, progress } = ctx;
  const stack = await startVerificationStack({
    lab,
    logger: ctx.logger,
    workflowBundlePath: ctx.workflowBundlePath,
    tuning: ctx.tuning,
    sandbox: {
      autoDecide: options.autoDecide,
      processingDelayMs: options.processingDelayMs,
      seed: options.seed,
    },
  });
  try {
    const total = options.warmup + options.n;
    progress.step(`verifications: creating ${total} beneficiaries in the sandbox double`);
    let created = 0;
    const beneficiaries = await mapLimit(
      Array.from({ length: total }, (_, i) => i),
      32,
      async (i) => {
        const ref = `bench-${i}-${randomUUID().slice(0, 8)}`;
        const body = i % 5 === 4 ? sampleBusiness(ref) : sampleIndividual(ref);
        const beneficiary = await stack.caliza.createBeneficiary(body);
        progress.count('beneficiaries', ++created, total);
        return beneficiary.id;
      },
    );
    const warmIds = beneficiaries.slice(0, options.warmup);
    const ids = beneficiaries.slice(options.warmup);
    const batch = async (batchIds: string[], label: string) => {
      const startMs: number[] = [];
      let started = 0;
      await mapLimit(batchIds, options.concurrency, async (id) => {
        const t = Date.now();
        await stack.verifications.start(id);
        startMs.push(Date.now() - t);
        progress.count(`${label} started`, ++started, batchIds.length);
      });
      return startMs;
    };
    if (warmIds.length > 0) {
      await batch(warmIds, 'verification warm-up');
      await waitForCompletion(
        lab.client,
        stack.taskQueue,
        warmIds.length,
        timeoutMs,
        progress,
        'warm-up done',
      );
    }
    const statsBefore = await sandboxApiCalls(stack.sandbox.adminUrl);
    progress.step(
      `verifications: ${ids.length} started concurrently (at most ${options.concurrency} in flight)`,
    );
    const deliveriesBefore = { ...stack.deliveries };
    const metricsBefore = await ctx.serverMetrics.sample();
    const cpu = startCpuProfile(lab.serverPids());
    const t0 = Date.now();
    const startMs = await batch(ids, 'verifications');
    await waitForCompletion(lab.client, stack.taskQueue, total, timeoutMs, progress, 'verifications done');
    const cpuProfile = cpu.stop();
    const server = perUnit(ServerMetrics.delta(metricsBefore, await ctx.serverMetrics.sample()), ids.length);
    const statsAfter = await sandboxApiCalls(stack.sandbox.adminUrl);
    const runs = await mapLimit(ids, 16, (id) => fetchRunSummary(lab.client, `kyc-beneficiary-${id}`));
    const byBeneficiary = new Map(runs.map((r) => [r.workflowId, r]));
    const summary = summarizeBatch(
      ids.length,
      t0,
      startMs,
      runs,
      (run) => stack.delivered.get(run.workflowId.replace(/^kyc-beneficiary-/, '')),
      cpuProfile,
    );
    const outcomes: Record<string, number> = {};
    const decidedBy: Record<string, number> = {};
    for (const run of byBeneficiary.values()) {
      const result = run.result as { outcome?: string; decidedBy?: string } | null;
      const outcome = result?.outcome ?? run.status;
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      if (result?.decidedBy) decidedBy[result.decidedBy] = (decidedBy[result.decidedBy] ?? 0) + 1;
    }
    const calizaCalls: Record<string, number> = {};
    let calizaTotal = 0;
    for (const [route, count] of Object.entries(statsAfter)) {
      const delta = count - (statsBefore[route] ?? 0);
      if (delta === 0) continue;
      calizaCalls[route] = delta;
      if (route.includes('/verification')) calizaTotal += delta;
    }
    return {
      tuning: effectiveTuning(stack.worker.worker),
      verifications: {
        ...summary,
        server,
        outcomes,
        decidedBy,
        calizaCallsPerVerification: round(calizaTotal / ids.length, 2),
        calizaCalls,
        webhooks: {
          accepted: stack.deliveries.accepted - deliveriesBefore.accepted,
          alreadyEnded: stack.deliveries.alreadyEnded - deliveriesBefore.alreadyEnded,
        },
      },
    };
  } finally {
    await stack.close();
  }
}

/** Calls answered by the double, summed over statuses, by route. */
async function sandboxApiCalls(adminUrl: string): Promise<Record<string, number>> {
  const response = await fetch(`${adminUrl}/stats`);
  const stats = (await response.json()) as { apiCalls: Record<string, Record<string, number>> };
  return Object.fromEntries(
    Object.entries(stats.apiCalls).map(([route, byStatus]) => [
      route,
      Object.values(byStatus).reduce((a, b) => a + b, 0),
    ]),
  );
}

export async function runEndToEnd(ctx: SectionContext, options: EndToEndOptions): Promise<EndToEndResult> {
  // Generous: on a shared 2-core machine under load a batch of 1,000 has taken over 3 minutes.
  const timeoutMs = 120_000 + options.n * 400;
  ctx.progress.step(`end-to-end: baseline workflow, n=${options.n}`);
  const baseline = await runBaseline(ctx, options, timeoutMs);
  ctx.progress.step(`end-to-end: verifications, n=${options.n}`);
  const ours = await runVerifications(ctx, options, timeoutMs);
  return {
    options,
    ...ours,
    baseline,
    throughputRatio: ratio(ours.verifications.perSecond, baseline.perSecond),
  };
}
