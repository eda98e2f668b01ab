/**
 * Section 4, webhook receiver: autocannon (in a child process) sends valid signed webhook bodies for
 * running verifications to the real receiver, which checks each signature and signals the workflow; then the
 * same bodies go to a second receiver in the same process whose delivery is a no-op. The ratio shows what
 * handing each event to Temporal costs. Duplicates are expected: every body is sent many times, and the
 * workflows count them.
 */
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Result as AutocannonResult } from 'autocannon';
import type { Logger } from 'pino';
import { SIGNATURE_HEADER, signWebhookBody } from '../../src/caliza/signature';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import { startWebhookReceiver } from '../../src/webhooks';
import type { LoadClientConfig } from '../load-client';
import { BENCH_WEBHOOK_SECRET, type TemporalLab, type WorkerTuning, startVerificationStack } from '../stack';
import { ratio, round } from '../stats';
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
  /** withSignal ÷ noOpDelivery requests per second. */
  throughputRatio: number;
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
    env: { ...process.env, BENCH_LOAD_CLIENT: JSON.stringify(config) },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
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
    const requests = ids.map((beneficiaryId, i) => {
      const body = JSON.stringify({
        operation: 'BENEFICIARY_APPROVED',
        resourceId: beneficiaryId,
        createdAt: `2026-01-01T00:00:${String(i % 60).padStart(2, '0')}.000001`,
        integratorId: stack.sandbox.integratorId,
        beneficiaryId,
        message: null,
        success: true,
        data: { id: beneficiaryId, status: 'APPROVED', kycVerified: true },
      });
      return { body, signature: signWebhookBody(body, BENCH_WEBHOOK_SECRET) };
    });
    const base = {
      connections: options.connections,
      durationSeconds: options.durationSeconds,
      requests,
      signatureHeader: SIGNATURE_HEADER,
    };
    progress.step(
      `receiver: no-op delivery, ${options.connections} connections for ${options.durationSeconds} s`,
    );
    const noOpResult = figures(await load({ ...base, url: noOp.url }));
    await sleep(500);
    const acceptedBefore = stack.deliveries.accepted;
    progress.step(
      `receiver: signal delivery, ${options.connections} connections for ${options.durationSeconds} s`,
    );
    const withSignal = figures(await load({ ...base, url: stack.receiver.url }));
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
      throughputRatio: ratio(withSignal.requestsPerSecond, noOpResult.requestsPerSecond),
      signalsAccepted,
      workflows: { duplicateEventsCounted, runsContinued },
    };
  } finally {
    await noOp.close();
    await stack.close();
  }
}
