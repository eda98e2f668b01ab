/**
 * Section 4, webhook receiver: autocannon (in a child process) sends valid signed webhook bodies for
 * running verifications to the real receiver, which checks each signature and signals the workflow. Each
 * body is a distinct event (its own `createdAt`), so every request costs one signal-with-start: the receiver
 * answers a copy it has already delivered without one, which would measure its de-duplication instead.
 * The receiver is compared with the same number of raw `signalWithStart` calls in flight from this process
 * (its ceiling: what Temporal takes at that concurrency) and with a second receiver whose delivery is a
 * no-op (what the HTTP side alone costs).
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { Result as AutocannonResult } from 'autocannon';
import type { Logger } from 'pino';
import { SIGNATURE_HEADER, signWebhookBody } from '../../src/caliza/signature';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import {
  type VerificationEvent,
  type VerifyBeneficiaryInput,
  WORKFLOW_TYPE,
  verificationEventSignal,
  workflowIdFor,
} from '../../src/contracts';
import { startWebhookReceiver } from '../../src/webhooks';
import type { LoadClientConfig } from '../load-client';
import { BENCH_WEBHOOK_SECRET, type TemporalLab, type WorkerTuning, startVerificationStack } from '../stack';
import { distribution, percentile, ratio, round } from '../stats';
import { type Progress, mapLimit, sleep, withTimeout } from '../util';

export interface ReceiverOptions {
  verifications: number;
  connections: number;
  durationSeconds: number;
  tuning: WorkerTuning;
  workflowBundlePath: string;
  seed: number;
}

export interface LoadFigures {
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number };
  total: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

export interface ReceiverResult {
  options: Omit<ReceiverOptions, 'tuning' | 'workflowBundlePath'>;
  /** Signature check + signal-with-start to Temporal for every request. */
  withSignal: LoadFigures;
  /** Same process, same checks, delivery replaced by a no-op. */
  noOpDelivery: LoadFigures;
  /** `signalWithStart` straight from this process, as many in flight as autocannon has connections. */
  rawSignalWithStart: LoadFigures;
  /** withSignal ÷ rawSignalWithStart calls per second: what the receiver keeps of Temporal's rate. */
  throughputRatio: number;
  /** withSignal ÷ noOpDelivery requests per second. */
  noOpRatio: number;
  /** Distinct signed events prepared for each run; more requests than this would repeat bodies. */
  distinctBodiesPerRun: number;
  /** Signals accepted by Temporal during the signal run (should equal its 2xx count). */
  signalsAccepted: number;
  /** Duplicates the workflows counted (from their state), and runs continued as new meanwhile. */
  workflows: { duplicateEventsCounted: number; runsContinued: number };
}

function figures(result: AutocannonResult): LoadFigures {
  return {
    requestsPerSecond: round(result.requests.average, 1),
    latencyMs: {
      p50: result.latency.p50,
      p90: result.latency.p90,
      p99: result.latency.p99,
      max: result.latency.max,
    },
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts,
  };
}

async function load(config: LoadClientConfig): Promise<AutocannonResult> {
  const tsx = pathToFileURL(require.resolve('tsx')).href;
  const child = fork(path.join(__dirname, '..', 'load-client.ts'), [], {
    execArgv: ['--import', tsx],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  child.send({ type: 'config', config });
  const result = new Promise<AutocannonResult>((resolve, reject) => {
    child.on('message', (message: { type?: string; result?: AutocannonResult }) => {
      if (message.type === 'result' && message.result) resolve(message.result);
    });
    child.once('exit', (code) => reject(new Error(`load client exited (code ${code}) without a result`)));
  });
  try {
    return await withTimeout(result, (config.durationSeconds + 30) * 1000, 'autocannon run');
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
  }
}

/** `lanes` loops calling `call` back to back for `durationSeconds`: autocannon's shape, in this process. */
async function closedLoop(
  lanes: number,
  durationSeconds: number,
  call: () => Promise<void>,
): Promise<LoadFigures> {
  const latencies: number[] = [];
  let errors = 0;
  const t0 = Date.now();
  const end = t0 + durationSeconds * 1000;
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (Date.now() < end) {
        const t = Date.now();
        try {
          await call();
          latencies.push(Date.now() - t);
        } catch {
          errors += 1;
        }
      }
    }),
  );
  const sorted = [...latencies].sort((a, b) => a - b);
  const d = distribution(sorted);
  return {
    requestsPerSecond: round(latencies.length / ((Date.now() - t0) / 1000), 1),
    latencyMs: { p50: d.p50, p90: percentile(sorted, 90), p99: d.p99, max: d.max },
    total: latencies.length,
    non2xx: 0,
    errors,
    timeouts: 0,
  };
}

export async function runReceiver(
  lab: TemporalLab,
  logger: Logger,
  options: ReceiverOptions,
  progress: Progress,
): Promise<ReceiverResult> {
  // No decisions: every verification stays PENDING, so the webhooks keep arriving at running workflows.
  const stack = await startVerificationStack({
    lab,
    logger,
    workflowBundlePath: options.workflowBundlePath,
    tuning: options.tuning,
    sandbox: { autoDecide: null, processingDelayMs: 100, seed: options.seed },
  });
  const noOp = await startWebhookReceiver({
    port: 0,
    host: '127.0.0.1',
    secrets: [BENCH_WEBHOOK_SECRET],
    delivery: { deliverEvent: async () => 'ACCEPTED' },
    logger: logger.child({ component: 'webhooks-noop' }),
  });
  try {
    progress.step(`receiver: starting ${options.verifications} verifications to send webhooks to`);
    const ids = await mapLimit(
      Array.from({ length: options.verifications }, (_, i) => i),
      16,
      async (i) => {
        const beneficiary = await stack.caliza.createBeneficiary(
          sampleIndividual(`bench-receiver-${i}-${randomUUID().slice(0, 8)}`),
        );
        await stack.verifications.start(beneficiary.id);
        return beneficiary.id;
      },
    );
    // Enough distinct events that no run repeats one (a receiver does not signal a copy twice).
    const perRun = Math.max(2_000, options.durationSeconds * 8_000);
    let serial = 0;
    const nextEvent = (): VerificationEvent => {
      const n = serial++;
      const beneficiaryId = ids[n % ids.length] as string;
      const micros = String(n).padStart(9, '0');
      return {
        operation: 'BENEFICIARY_APPROVED',
        beneficiaryId,
        createdAt: `2026-01-01T00:00:00.${micros}`,
        success: true,
        message: null,
      };
    };
    const signedBodies = () =>
      Array.from({ length: perRun }, () => {
        const event = nextEvent();
        const body = JSON.stringify({
          operation: event.operation,
          resourceId: event.beneficiaryId,
          createdAt: event.createdAt,
          integratorId: stack.sandbox.integratorId,
          beneficiaryId: event.beneficiaryId,
          message: null,
          success: true,
          data: { id: event.beneficiaryId, status: 'APPROVED', kycVerified: true },
        });
        return { body, signature: signWebhookBody(body, BENCH_WEBHOOK_SECRET) };
      });
    const base = {
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      signatureHeader: SIGNATURE_HEADER,
    };
    progress.step(
      `receiver: no-op delivery, ${options.connections} connections for ${options.durationSeconds} s`,
    );
    const noOpResult = figures(await load({ ...base, requests: signedBodies(), url: noOp.url }));
    await sleep(500);
    progress.step(
      `receiver: raw signalWithStart, ${options.connections} in flight for ${options.durationSeconds} s`,
    );
    const client = stack.verifications.client;
    const rawSignalWithStart = await closedLoop(options.connections, options.durationSeconds, async () => {
      const event = nextEvent();
      // What the receiver's delivery sends for a running verification, without anything around it.
      const input: VerifyBeneficiaryInput = { beneficiaryId: event.beneficiaryId, mode: 'RECORD_OUTCOME' };
      await client.workflow.signalWithStart(WORKFLOW_TYPE, {
        workflowId: workflowIdFor(event.beneficiaryId),
        taskQueue: stack.taskQueue,
        args: [input],
        workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
        workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
        signal: verificationEventSignal,
        signalArgs: [event],
      });
    });
    await sleep(500);
    const acceptedBefore = stack.deliveries.accepted;
    progress.step(
      `receiver: signal delivery, ${options.connections} connections for ${options.durationSeconds} s`,
    );
    const withSignal = figures(await load({ ...base, requests: signedBodies(), url: stack.receiver.url }));
    const signalsAccepted = stack.deliveries.accepted - acceptedBefore;
    // Let the worker catch up before reading the workflows' counters.
    await sleep(1_000);
    let duplicateEventsCounted = 0;
    let runsContinued = 0;
    await mapLimit(ids, 8, async (id) => {
      const state = await stack.verifications.getState(id).catch(() => null);
      duplicateEventsCounted += state?.duplicateEvents ?? 0;
      runsContinued += state?.runsContinued ?? 0;
    });
    return {
      options: {
        verifications: options.verifications,
        connections: options.connections,
        durationSeconds: options.durationSeconds,
        seed: options.seed,
      },
      withSignal,
      noOpDelivery: noOpResult,
      rawSignalWithStart,
      throughputRatio: ratio(withSignal.requestsPerSecond, rawSignalWithStart.requestsPerSecond),
      noOpRatio: ratio(withSignal.requestsPerSecond, noOpResult.requestsPerSecond),
      distinctBodiesPerRun: perRun,
      signalsAccepted,
      workflows: { duplicateEventsCounted, runsContinued },
    };
  } finally {
    await noOp.close();
    await stack.close();
  }
}
