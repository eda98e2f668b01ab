import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import pino from 'pino';
import { Registry } from 'prom-client';
import { CalizaClient } from '../../src/caliza';
import { type StartVerificationOptions, VerificationClient } from '../../src/client/verification-client';
import type { Outcome, PollingOptions, VerificationResult } from '../../src/contracts';
import { sampleBusiness, sampleIndividual } from '../../dev/sample-beneficiaries';
import {
  type FaultConfigPatch,
  type SandboxHandle,
  type SandboxOptions,
  startSandbox,
} from '../../caliza-double';
import type { FaultCounts } from '../../caliza-double/fault-injector';
import type { WebhookCounters } from '../../caliza-double/stats';
import { VerificationService } from '../../src/service/service';
import type { RunningWebhookReceiver } from '../../src/webhooks';
import { embeddedConfig, webhookSettings } from '../../src/service/config';
import { type ScenarioFigures, recordScenario } from './chaos-report';
import { type WorkerProcess, startWorkerProcess } from './chaos-worker';
import { uniqueTaskQueue } from './temporal';
import { calizaConfigFor } from '../stack/support';

/** Short enough that a polling-only path ends in seconds (the default starts at one minute). */
export const CHAOS_POLLING: PollingOptions = { initialIntervalMs: 500, multiplier: 2, maxIntervalMs: 2_000 };
/** Far beyond any scenario: an outcome decided by DEADLINE would be a failure of the test. */
export const CHAOS_DEADLINE_MS = 15 * 60_000;
export const WEBHOOK_SECRET = 'whsec_chaos_0123456789abcdef';
/** The receiver's gRPC deadline for a signal; it answers 503 at most 500 ms later. */
export const RECEIVER_TEMPORAL_TIMEOUT_MS = 1_000;

export type Decision = 'approve' | 'reject';

export interface PlannedBeneficiary {
  id: string;
  decision: Decision;
  expected: Outcome;
}

/** `GET /__admin/stats` of the sandbox double. */
export interface SandboxStatsView {
  sessionsCreatedByBeneficiary: Record<string, number>;
  apiCalls: Record<string, Record<string, number>>;
  webhooks: WebhookCounters;
  pendingWebhookDeliveries: number;
  faults: FaultCounts;
}

export interface ChaosRigOptions {
  temporalAddress: string;
  sandbox?: SandboxOptions;
  /** Extra environment of the worker process. */
  workerEnv?: Record<string, string>;
  /** Where the double sends webhooks instead of the rig's own receiver (e.g. a balancer in front of receiver processes). */
  callbackUrl?: string;
}

export async function sleep(ms: number): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next;
      next += 1;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

/** Polls until `check` returns a value other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 250,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(
        `timed out after ${timeoutMs} ms waiting for ${what}${lastError ? `: ${lastError}` : ''}`,
      );
    }
    await sleep(intervalMs);
  }
}

/**
 * The whole service, composed from its parts, for one chaos scenario: the sandbox double (webhooks to the
 * receiver, signed with a known secret), the receiver in this process with its own metrics registry, a
 * production worker in a child process, and a client. Temporal is given (the shared dev server, or one
 * the scenario restarts).
 */
export class ChaosRig {
  worker: WorkerProcess | null = null;
  workerStarts = 0;
  private readonly started = Date.now();

  private constructor(
    private readonly options: ChaosRigOptions,
    readonly taskQueue: string,
    readonly sandbox: SandboxHandle,
    readonly receiver: RunningWebhookReceiver,
    readonly registry: Registry,
    readonly connection: Connection,
    private readonly service: VerificationService,
    readonly verifications: VerificationClient,
    readonly caliza: CalizaClient,
  ) {}

  static async start(options: ChaosRigOptions): Promise<ChaosRig> {
    const parts: { close(): Promise<void> }[] = [];
    try {
      const registry = new Registry();
      const taskQueue = uniqueTaskQueue('chaos');
      // The receiver as production assembles it, with short bounds so outages show within seconds.
      const service = new VerificationService(
        embeddedConfig({
          temporal: {
            connectionOptions: { address: options.temporalAddress },
            namespace: 'default',
            taskQueue,
          },
          webhooks: webhookSettings({
            port: 0,
            host: '127.0.0.1',
            secrets: [WEBHOOK_SECRET],
            temporalTimeoutMs: RECEIVER_TEMPORAL_TIMEOUT_MS,
            retryAfterSeconds: 1,
            readinessTimeoutMs: 500,
          }),
        }),
        { logger: pino({ level: 'silent' }), registry },
      );
      parts.push(service);
      const receiver = await service.startWebhooks();
      const verifications = await service.verifications();
      const connection = verifications.client.connection as Connection;
      const sandbox = await startSandbox({
        processingDelayMs: 100,
        seed: 20_260_101,
        ...options.sandbox,
        webhookSecret: WEBHOOK_SECRET,
        callbackUrl: options.callbackUrl ?? receiver.url,
        // Retries every few seconds for about half a minute: long enough to ride out the outages here.
        webhooks: {
          timeoutMs: 3_000,
          maxAttempts: 12,
          baseDelayMs: 250,
          maxDelayMs: 3_000,
          ...options.sandbox?.webhooks,
        },
      });
      parts.push(sandbox);
      const caliza = new CalizaClient(calizaConfigFor(sandbox));
      return new ChaosRig(
        options,
        taskQueue,
        sandbox,
        receiver,
        registry,
        connection,
        service,
        verifications,
        caliza,
      );
    } catch (err) {
      for (const part of parts.reverse()) await part.close().catch(() => undefined);
      throw err;
    }
  }

  /** Progress on stderr with `CHAOS_TRACE=1`, for finding where a slow scenario spends its time. */
  note(message: string): void {
    if (process.env.CHAOS_TRACE === '1') {
      process.stderr.write(`[chaos +${((Date.now() - this.started) / 1000).toFixed(1)} s] ${message}\n`);
    }
  }

  get client(): Client {
    return this.verifications.client;
  }

  async startWorker(): Promise<WorkerProcess> {
    this.worker = await startWorkerProcess({
      address: this.options.temporalAddress,
      taskQueue: this.taskQueue,
      caliza: this.sandbox,
      env: this.options.workerEnv,
    });
    this.workerStarts += 1;
    return this.worker;
  }

  /** Beneficiaries at the double, each with the decision it will get (about one in three rejected). */
  async createBeneficiaries(count: number, prefix: string): Promise<PlannedBeneficiary[]> {
    return mapLimit(
      Array.from({ length: count }, (_, i) => i),
      10,
      async (i) => {
        const name = `${prefix}-${i}`;
        const request = i % 5 === 4 ? sampleBusiness(name) : sampleIndividual(name);
        const beneficiary = await this.caliza.createBeneficiary(request);
        const decision: Decision = i % 3 === 2 ? 'reject' : 'approve';
        return { id: beneficiary.id, decision, expected: decision === 'approve' ? 'APPROVED' : 'FAILED' };
      },
    );
  }

  /** Update-with-start for each: returns once every session exists. */
  async startVerifications(
    planned: readonly PlannedBeneficiary[],
    options: StartVerificationOptions = {},
    concurrency = 20,
  ): Promise<void> {
    await mapLimit(planned, concurrency, async (p) => {
      const started = await this.verifications.start(p.id, {
        polling: CHAOS_POLLING,
        deadlineMs: CHAOS_DEADLINE_MS,
        ...options,
      });
      if (started.status !== 'PENDING') throw new Error(`${p.id} started as ${started.status}`);
    });
  }

  /** Decides through the double's admin API, as a person on the hosted page would. */
  async decide(planned: readonly PlannedBeneficiary[], concurrency = 20): Promise<void> {
    await mapLimit(planned, concurrency, async (p) => {
      const answer = await fetch(`${this.sandbox.adminUrl}/beneficiaries/${p.id}/decision`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ decision: p.decision, reason: `chaos rejection of ${p.id}` }),
      });
      if (answer.status !== 202)
        throw new Error(`decision for ${p.id}: ${answer.status} ${await answer.text()}`);
    });
  }

  async setFaults(patch: FaultConfigPatch): Promise<void> {
    const answer = await fetch(`${this.sandbox.adminUrl}/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
    });
    if (!answer.ok) throw new Error(`PATCH faults: ${answer.status} ${await answer.text()}`);
  }

  async stats(): Promise<SandboxStatsView> {
    const answer = await fetch(`${this.sandbox.adminUrl}/stats`);
    return (await answer.json()) as SandboxStatsView;
  }

  /** The double's stats once no webhook delivery is pending (still retrying, or held back). */
  async settledStats(): Promise<SandboxStatsView> {
    return waitFor(
      'every webhook delivery to settle',
      async () => {
        const current = await this.stats();
        return current.pendingWebhookDeliveries === 0 ? current : undefined;
      },
      30_000,
    );
  }

  /**
   * From the double's delivery log: attempts refused with 503 (Temporal unreachable), the slowest of those
   * answers, and deliveries acknowledged only on a later attempt.
   */
  async deliveryFigures(): Promise<{
    attempts: number;
    refusedWith503: number;
    slowestRefusalMs: number;
    acknowledgedOnRetry: number;
  }> {
    const answer = await fetch(`${this.sandbox.adminUrl}/webhooks/deliveries?limit=100000`);
    const { entries } = (await answer.json()) as {
      entries: { status: number | null; durationMs: number; attempt: number; result: string }[];
    };
    const refusals = entries.filter((entry) => entry.status === 503);
    return {
      attempts: entries.filter((entry) => entry.attempt > 0).length,
      refusedWith503: refusals.length,
      slowestRefusalMs: Math.max(0, ...refusals.map((entry) => entry.durationMs)),
      acknowledgedOnRetry: entries.filter((e) => e.result === 'acknowledged' && e.attempt > 1).length,
    };
  }

  /** `caliza_webhook_deliveries_total` by result, and the duplicate counter, from the receiver's registry. */
  async receiverCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const metric of await this.registry.getMetricsAsJSON()) {
      if (metric.name === 'caliza_webhook_deliveries_total') {
        for (const value of metric.values) counts[String(value.labels.result)] = value.value;
      }
      if (metric.name === 'caliza_webhook_duplicate_deliveries_total') {
        counts.duplicates = metric.values[0]?.value ?? 0;
      }
    }
    return Object.fromEntries(Object.entries(counts).filter(([, value]) => value > 0));
  }

  /**
   * Every verification's result. A call that fails because Temporal is unreachable is tried again (the
   * server may be restarting); a run that failed is returned as the error, for the test to report.
   */
  async outcomes(
    planned: readonly PlannedBeneficiary[],
    timeoutMs: number,
  ): Promise<Map<string, VerificationResult | Error>> {
    const deadline = Date.now() + timeoutMs;
    const results = await mapLimit(planned, 50, async (p) => {
      for (;;) {
        const left = deadline - Date.now();
        if (left <= 0) return new Error(`no result within ${timeoutMs} ms`);
        // The result call is a long poll: bound it, or one stuck verification would hang the test. It is
        // cancelled rather than abandoned, so no call is left retrying once the connection closes.
        const abort = new AbortController();
        const timer = setTimeout(() => abort.abort(), left);
        try {
          return await this.connection.withAbortSignal(abort.signal, () => this.verifications.result(p.id));
        } catch (err) {
          if (err instanceof WorkflowFailedError) return err;
          await sleep(500);
        } finally {
          clearTimeout(timer);
        }
      }
    });
    return new Map(planned.map((p, i) => [p.id, results[i] as VerificationResult | Error]));
  }

  /** Runs per workflow id on this rig's task queue, once visibility shows at least `expected` closed runs. */
  async runsPerWorkflow(expected: number): Promise<Map<string, number>> {
    return waitFor(
      'closed runs in visibility',
      async () => {
        const runs = new Map<string, number>();
        let closed = 0;
        for await (const execution of this.client.workflow.list({
          query: `TaskQueue = '${this.taskQueue}'`,
        })) {
          runs.set(execution.workflowId, (runs.get(execution.workflowId) ?? 0) + 1);
          if (execution.status.name !== 'RUNNING') closed += 1;
        }
        return closed >= expected ? runs : undefined;
      },
      15_000,
      500,
    );
  }

  /**
   * Checks the invariants every scenario shares and records its figures: every verification reached the
   * outcome chosen for it, the double created exactly one session per beneficiary, and one run each.
   */
  async verifyAndRecord(
    scenario: string,
    planned: readonly PlannedBeneficiary[],
    results: Map<string, VerificationResult | Error>,
    extra: Record<string, number | string> = {},
  ): Promise<ScenarioFigures> {
    const stats = await this.settledStats();
    const runs = await this.runsPerWorkflow(planned.length);
    const decidedBy: Record<string, number> = {};
    const wrong: string[] = [];
    for (const p of planned) {
      const result = results.get(p.id);
      if (!result || result instanceof Error) {
        wrong.push(`${p.id}: ${result instanceof Error ? result.message : 'no result'}`);
        continue;
      }
      decidedBy[result.decidedBy] = (decidedBy[result.decidedBy] ?? 0) + 1;
      if (result.outcome !== p.expected || result.decidedBy === 'DEADLINE') {
        wrong.push(`${p.id}: expected ${p.expected}, got ${result.outcome} by ${result.decidedBy}`);
      }
    }
    const sessions = planned.map((p) => stats.sessionsCreatedByBeneficiary[p.id] ?? 0);
    const runCounts = planned.map((p) => runs.get(`kyc-beneficiary-${p.id}`) ?? 0);
    const figures: ScenarioFigures = {
      scenario,
      verifications: planned.length,
      outcomesCorrect: planned.length - wrong.length,
      decidedBy,
      sessionsPerBeneficiary: {
        min: Math.min(...sessions),
        max: Math.max(...sessions),
        total: sessions.reduce((a, b) => a + b, 0),
      },
      runsPerBeneficiary: { max: Math.max(...runCounts) },
      faultsInjected: Object.fromEntries(Object.entries(stats.faults).filter(([, v]) => v > 0)),
      webhooks: { ...stats.webhooks },
      receiver: await this.receiverCounts(),
      extra: { workerStarts: this.workerStarts, ...extra },
      durationMs: Date.now() - this.started,
      finishedAt: new Date().toISOString(),
    };
    recordScenario(figures);
    expect(wrong).toEqual([]);
    expect(figures.sessionsPerBeneficiary).toMatchObject({ min: 1, max: 1 });
    expect(runCounts.every((n) => n === 1)).toBe(true);
    // No webhook was given up: every one was acknowledged in the end (or dropped on purpose).
    expect(figures.webhooks.failed).toBe(0);
    expect(figures.webhooks.acknowledged).toBe(figures.webhooks.deliveries);
    return figures;
  }

  /** Stops everything this rig started; safe to call after a failure, and twice. */
  async close(): Promise<void> {
    await this.worker?.stop().catch(() => undefined);
    await this.receiver.close().catch(() => undefined);
    await this.sandbox.close().catch(() => undefined);
    await this.service.close().catch(() => undefined);
  }
}
