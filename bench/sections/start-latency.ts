/**
 * Section "start": what a caller of `start()` waits for its `verificationUrl`, at a steady open-loop rate
 * (half the baseline's end-to-end capacity by default), where queueing does not dominate as it does in the
 * end-to-end section's bursts. The baseline is a bare update-with-start on the same server with the same
 * worker tuning: a workflow whose update is answered after one local activity. Latency is counted from the
 * moment each call was due, not when it was sent, so a driver that falls behind shows as latency.
 */
import { randomUUID } from 'node:crypto';
import { WithStartWorkflowOperation, WorkflowIdConflictPolicy } from '@temporalio/client';
import { Worker } from '@temporalio/worker';
import type { Logger } from 'pino';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import { WORKER_TUNING_DEFAULTS } from '../../src/worker';
import { type BaselineActivities, baselineSessionUpdate, type baselineWorkflow } from '../baseline-workflow';
import { type TemporalLab, type WorkerTuning, runWorker, startVerificationStack } from '../stack';
import { type Distribution, distribution, ratio, round } from '../stats';
import { type Progress, mapLimit, sleep, withTimeout } from '../util';

export interface StartLatencyOptions {
  /** Starts per second, for both the baseline and the verifications. */
  ratePerSecond: number;
  /** Where the rate came from, for the report. */
  rateSource: string;
  durationSeconds: number;
  warmup: number;
  tuning: WorkerTuning;
  workflowBundlePath: string;
  baselineBundlePath: string;
  seed: number;
}

export interface OpenLoopFigures {
  sent: number;
  failed: number;
  /** Answers per second over the run (equal to the rate when the system keeps up). */
  answeredPerSecond: number;
  latencyMs: Distribution;
}

export interface StartLatencyResult {
  options: Omit<StartLatencyOptions, 'tuning' | 'workflowBundlePath' | 'baselineBundlePath'>;
  baseline: OpenLoopFigures;
  verifications: OpenLoopFigures;
  /** Verifications' start() p99 ÷ the bare update-with-start p99. */
  p99Ratio: number;
}

/** Fires `call(i)` at `ratePerSecond`, never waiting for an answer before the next is due. */
async function openLoop(
  count: number,
  ratePerSecond: number,
  call: (index: number) => Promise<unknown>,
): Promise<OpenLoopFigures> {
  const latencies: number[] = [];
  let failed = 0;
  const calls: Promise<void>[] = [];
  const t0 = Date.now() + 20;
  for (let i = 0; i < count; i++) {
    const due = t0 + (i * 1000) / ratePerSecond;
    const wait = due - Date.now();
    if (wait > 0) await sleep(wait);
    calls.push(
      call(i).then(
        () => {
          latencies.push(Date.now() - due);
        },
        () => {
          failed += 1;
        },
      ),
    );
  }
  await withTimeout(Promise.all(calls), 120_000, 'open-loop answers');
  const elapsed = (Date.now() - t0) / 1000;
  return {
    sent: count,
    failed,
    answeredPerSecond: round(latencies.length / elapsed, 1),
    latencyMs: distribution(latencies),
  };
}

async function runBaseline(
  lab: TemporalLab,
  options: StartLatencyOptions,
  count: number,
  progress: Progress,
): Promise<OpenLoopFigures> {
  const taskQueue = `bench-start-baseline-${randomUUID()}`;
  const activities: BaselineActivities = { baselineStep: async (id) => id };
  const worker = await runWorker(
    () =>
      Worker.create({
        connection: lab.native,
        taskQueue,
        workflowBundle: { codePath: options.baselineBundlePath },
        activities,
        shutdownGraceTime: '10s',
        ...WORKER_TUNING_DEFAULTS,
        ...options.tuning,
      }),
    taskQueue,
  );
  const prefix = `start-baseline-${randomUUID().slice(0, 8)}`;
  const start = (id: string) =>
    lab.client.workflow.executeUpdateWithStart(baselineSessionUpdate, {
      startWorkflowOperation: new WithStartWorkflowOperation<typeof baselineWorkflow>('baselineWorkflow', {
        workflowId: id,
        taskQueue,
        args: [id],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      }),
    });
  try {
    await mapLimit(
      Array.from({ length: options.warmup }, (_, i) => `${prefix}-warm-${i}`),
      8,
      start,
    );
    progress.step(`start: bare update-with-start, ${count} at ${options.ratePerSecond}/s`);
    return await openLoop(count, options.ratePerSecond, (i) => start(`${prefix}-${i}`));
  } finally {
    await worker.stop();
  }
}

async function runOurs(
  lab: TemporalLab,
  logger: Logger,
  options: StartLatencyOptions,
  count: number,
  progress: Progress,
): Promise<OpenLoopFigures> {
  // No decisions: the sessions stay PENDING, so nothing but the starts loads the stack.
  const stack = await startVerificationStack({
    lab,
    logger,
    workflowBundlePath: options.workflowBundlePath,
    tuning: options.tuning,
    sandbox: { autoDecide: null, processingDelayMs: 100, seed: options.seed },
  });
  try {
    const total = options.warmup + count;
    const ids = await mapLimit(
      Array.from({ length: total }, (_, i) => i),
      32,
      async (i) =>
        (
          await stack.caliza.createBeneficiary(
            sampleIndividual(`bench-start-${i}-${randomUUID().slice(0, 8)}`),
          )
        ).id,
    );
    await mapLimit(ids.slice(0, options.warmup), 8, (id) => stack.verifications.start(id));
    const measured = ids.slice(options.warmup);
    progress.step(`start: verifications, ${count} start() calls at ${options.ratePerSecond}/s`);
    return await openLoop(count, options.ratePerSecond, async (i) => {
      const started = await stack.verifications.start(measured[i] as string);
      if (!started.verificationUrl) throw new Error('start() answered without a verificationUrl');
    });
  } finally {
    await stack.close();
  }
}

export async function runStartLatency(
  lab: TemporalLab,
  logger: Logger,
  options: StartLatencyOptions,
  progress: Progress,
): Promise<StartLatencyResult> {
  const count = Math.max(10, Math.round(options.ratePerSecond * options.durationSeconds));
  const baseline = await runBaseline(lab, options, count, progress);
  const verifications = await runOurs(lab, logger, options, count, progress);
  const { tuning: _t, workflowBundlePath: _w, baselineBundlePath: _b, ...reported } = options;
  return {
    options: reported,
    baseline,
    verifications,
    p99Ratio: ratio(verifications.latencyMs.p99, baseline.latencyMs.p99),
  };
}
