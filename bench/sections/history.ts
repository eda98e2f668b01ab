/**
 * Section 2, history cost: events per run on each path a verification takes, on the time-skipping server
 * (so the 30-day run takes seconds), with scripted Caliza answers. Section 5 (polling cost) reuses the
 * 30-day run: its Caliza call count confirms the number computed from the schedule.
 */
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { VerificationClient } from '../../src/client';
import {
  DEFAULT_DEADLINE_MS,
  DEFAULT_MAX_HISTORY_EVENTS,
  DEFAULT_POLLING,
  type PollingOptions,
  type VerificationEvent,
  workflowIdFor,
} from '../../src/contracts';
import { ScriptedCaliza } from '../../test/support/scripted-activities';
import { runHistoryLengths } from '../../test/support/history';
import { eventTypeName, runEvents } from '../histories';
import type { Progress } from '../util';
import { withTimeout } from '../util';
import { workerTracingOptions } from '../../src/service/tracing';

export const PATHS = ['webhook', 'polling', 'deadline', 'pending30Days'] as const;
export type PathName = (typeof PATHS)[number];

/**
 * The fewest events each path can be recorded in while doing what the verification promises; derived
 * event by event in docs/benchmarks.md ("History cost").
 */
export const THEORETICAL_MINIMUM: Record<Exclude<PathName, 'pending30Days'>, number> = {
  webhook: 16,
  polling: 16,
  deadline: 15,
};

export interface PathCost {
  description: string;
  /** Events of the last (or only) run. */
  events: number;
  /** Every run, oldest first (continue-as-new). */
  runs: number[];
  totalEvents: number;
  workflowTasks: number;
  byType: Record<string, number>;
  /** The event types of the last run in order (short paths only). */
  sequence?: string[];
  theoreticalMinimum: number | null;
  calizaCalls: { create: number; read: number };
  outcome: unknown;
  /** Workflow time from start to decision. */
  simulatedSeconds: number | null;
}

export interface HistoryResult {
  server: 'time-skipping (Java test server)';
  maxHistoryEventsPerRun: number;
  paths: Record<PathName, PathCost>;
}

const approvedEvent = (beneficiaryId: string): VerificationEvent => ({
  operation: 'BENEFICIARY_APPROVED',
  beneficiaryId,
  createdAt: '2026-01-01T00:05:00.000001',
  success: true,
  message: null,
});

export interface TimeSkippingContext {
  env: TestWorkflowEnvironment;
  workflowBundlePath: string;
  progress: Progress;
}

async function runPath(
  ctx: TimeSkippingContext,
  name: PathName,
  description: string,
  scriptFor: (caliza: ScriptedCaliza, id: string) => void,
  drive: (client: VerificationClient, id: string) => Promise<unknown>,
): Promise<PathCost> {
  const caliza = new ScriptedCaliza();
  const id = `bench-${name}-${randomUUID().slice(0, 8)}`;
  scriptFor(caliza, id);
  const taskQueue = `bench-history-${randomUUID()}`;
  const worker = await Worker.create({
    connection: ctx.env.nativeConnection,
    taskQueue,
    workflowBundle: { codePath: ctx.workflowBundlePath },
    // The bundle holds the tracing interceptors, whose span sink must be there (tracing itself stays off).
    sinks: workerTracingOptions(null).sinks,
    activities: caliza.activities,
  });
  const client = new VerificationClient(ctx.env.client, { taskQueue });
  const startedAt = await ctx.env.currentTimeMs();
  const outcome = await worker.runUntil(withTimeout(drive(client, id), 300_000, `history path ${name}`));
  const decidedAt = Date.parse((outcome as { decidedAt?: string } | null)?.decidedAt ?? '');
  const simulatedSeconds = Number.isNaN(decidedAt) ? null : Math.round((decidedAt - startedAt) / 1000);
  const workflowId = workflowIdFor(id);
  const runs = await runHistoryLengths(ctx.env.client, workflowId);
  const events = await runEvents(ctx.env.client, workflowId);
  const byType: Record<string, number> = {};
  for (const event of events) byType[eventTypeName(event)] = (byType[eventTypeName(event)] ?? 0) + 1;
  const minimum = name === 'pending30Days' ? null : THEORETICAL_MINIMUM[name];
  return {
    description,
    events: events.length,
    runs,
    totalEvents: runs.reduce((a, b) => a + b, 0),
    workflowTasks: byType.WORKFLOW_TASK_COMPLETED ?? 0,
    byType,
    ...(events.length <= 40 && { sequence: events.map(eventTypeName) }),
    theoreticalMinimum: minimum,
    calizaCalls: { create: caliza.count('create'), read: caliza.count('read') },
    outcome,
    simulatedSeconds,
  };
}

/** The 30-day run is shared with the polling section; it is run at most once per benchmark. */
let pending30Days: Promise<PathCost> | null = null;
export function pending30DaysCost(ctx: TimeSkippingContext): Promise<PathCost> {
  pending30Days ??= runPath(
    ctx,
    'pending30Days',
    'Session stays PENDING and every webhook is lost: polled on the default schedule until the default 30-day deadline',
    (caliza, id) => caliza.script(id, 'PENDING'),
    async (client, id) => {
      await client.start(id);
      return client.result(id);
    },
  );
  return pending30Days;
}

export async function runHistory(ctx: TimeSkippingContext): Promise<HistoryResult> {
  ctx.progress.step('history: webhook path');
  const webhook = await runPath(
    ctx,
    'webhook',
    'Started (update-with-start), approved by a webhook, confirmed by one read',
    (caliza, id) => caliza.script(id, 'SUCCEEDED'),
    async (client, id) => {
      await client.start(id);
      await client.deliverEvent(approvedEvent(id));
      return client.result(id);
    },
  );
  ctx.progress.step('history: polling path');
  const polling = await runPath(
    ctx,
    'polling',
    'Started, no webhook arrives; the first poll (after 1 minute) finds the session SUCCEEDED',
    (caliza, id) => caliza.script(id, 'SUCCEEDED'),
    async (client, id) => {
      await client.start(id);
      return client.result(id);
    },
  );
  ctx.progress.step('history: deadline path');
  const deadline = await runPath(
    ctx,
    'deadline',
    'Started with a 30 s deadline (before the first poll); the session stays PENDING and the run expires',
    (caliza, id) => caliza.script(id, 'PENDING'),
    async (client, id) => {
      await client.start(id, { deadlineMs: 30_000 });
      return client.result(id);
    },
  );
  ctx.progress.step('history: 30-day pending verification (default schedule and deadline)');
  const pending = await pending30DaysCost(ctx);
  return {
    server: 'time-skipping (Java test server)',
    maxHistoryEventsPerRun: DEFAULT_MAX_HISTORY_EVENTS,
    paths: { webhook, polling, deadline, pending30Days: pending },
  };
}

/** The longest wait between two polls that begin in an age band: how late a lost webhook's outcome is seen. */
export interface DetectionDelay {
  fromAgeMs: number;
  /** Null for the last band (until the deadline). */
  toAgeMs: number | null;
  worstDelayMs: number;
  polls: number;
}

/**
 * Caliza calls a verification makes when no webhook ever arrives: one create, then one read per poll.
 * Computed from the schedule's definition, independently of the machine, which the time-skipping run uses.
 */
export function scheduledCalls(
  polling: PollingOptions = DEFAULT_POLLING,
  deadlineMs: number = DEFAULT_DEADLINE_MS,
): {
  create: number;
  polls: number;
  total: number;
  intervals: { intervalMs: number; count: number }[];
  detectionDelayByAge: DetectionDelay[];
} {
  const steps = polling.byAge ?? [{ fromAgeMs: 0, maxIntervalMs: polling.maxIntervalMs }];
  const capAt = (age: number) => steps.filter((s) => age >= s.fromAgeMs).at(-1)?.maxIntervalMs ?? 0;
  const longest = Math.max(...steps.map((s) => s.maxIntervalMs));
  const bands: DetectionDelay[] = steps.map((s, i) => ({
    fromAgeMs: s.fromAgeMs,
    toAgeMs: steps[i + 1]?.fromAgeMs ?? null,
    worstDelayMs: 0,
    polls: 0,
  }));
  // Poll k comes at (time of poll k-1) + the interval, capped at the age it is planned, never at or after
  // the deadline; the interval then grows by the multiplier from the one used.
  let at = 0;
  let interval = polling.initialIntervalMs;
  let polls = 0;
  const intervals: { intervalMs: number; count: number }[] = [];
  for (;;) {
    const used = Math.min(interval, capAt(at));
    const next = at + used;
    const band = bands.filter((b) => at >= b.fromAgeMs).at(-1) as DetectionDelay;
    // The last wait, cut by the deadline, still bounds how late an outcome in it is seen.
    band.worstDelayMs = Math.max(band.worstDelayMs, Math.min(used, deadlineMs - at));
    if (next >= deadlineMs) break;
    band.polls += 1;
    at = next;
    polls += 1;
    const last = intervals[intervals.length - 1];
    if (last && last.intervalMs === used) last.count += 1;
    else intervals.push({ intervalMs: used, count: 1 });
    interval = polling.byAge
      ? Math.min(Math.round(used * polling.multiplier), longest)
      : Math.min(Math.round(used * polling.multiplier), polling.maxIntervalMs);
    if (polls > 1_000_000) throw new Error('polling schedule does not converge');
  }
  return { create: 1, polls, total: 1 + polls, intervals, detectionDelayByAge: bands };
}

export interface PollingResult {
  schedule: PollingOptions;
  deadlineDays: number;
  computed: ReturnType<typeof scheduledCalls>;
  measured: { create: number; read: number; total: number; runs: number; totalEvents: number };
  agrees: boolean;
  /** History events per poll in steady state (30-day run). */
  eventsPerPoll: number;
}

export async function runPolling(ctx: TimeSkippingContext): Promise<PollingResult> {
  ctx.progress.step('polling: 30-day run with every webhook dropped');
  const computed = scheduledCalls();
  const pending = await pending30DaysCost(ctx);
  const measured = {
    create: pending.calizaCalls.create,
    read: pending.calizaCalls.read,
    total: pending.calizaCalls.create + pending.calizaCalls.read,
    runs: pending.runs.length,
    totalEvents: pending.totalEvents,
  };
  return {
    schedule: DEFAULT_POLLING,
    deadlineDays: DEFAULT_DEADLINE_MS / 86_400_000,
    computed,
    measured,
    agrees: measured.total === computed.total,
    eventsPerPoll: Math.round((pending.totalEvents / Math.max(1, measured.read)) * 100) / 100,
  };
}
