import type { AsyncCommand } from 'fast-check';
import { MAX_RETRY_AFTER_MS } from '../../src/caliza/retry-after';
import {
  type OutcomeOperation,
  type PollingOptions,
  type VerificationEvent,
  verificationEventSignal,
  workflowIdFor,
} from '../../src/contracts';
import type { CalizaMode, SessionTruth } from './outage-caliza';
import { chainSummary } from './outage-history';
import {
  HISTORY_SLACK_EVENTS,
  MAX_LOCAL_ACTIVITY_TASK_MS,
  MAX_PLAIN_TASK_MS,
  NOT_CREATED,
  type OutageRig,
  TimeStalledError,
  waitUntil,
} from './outage-rig';

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

/** What every verification of the model test is started with. */
export interface ModelSettings {
  polling: PollingOptions;
  deadlineMs: number;
  maxHistoryEventsPerRun: number;
  /** Real time a one-hour step of a time jump may take before time counts as stalled. */
  realBudgetPerHourMs: number;
  startGraceMs: number;
}

/** What the test knows: Caliza's real session and answers, and what was done to the verification. */
export interface VerificationModel {
  beneficiaryId: string;
  truth: SessionTruth;
  mode: CalizaMode;
  /** Workflow time of the deadline (first run's start + deadlineMs, moved by extensions). */
  deadlineAt: number | null;
  cancelled: boolean;
  /** Set once the workflow is seen closed; no command runs after that. */
  closed: boolean;
  /** Whether any state view has shown a session yet. */
  sessionSeen: boolean;
  /** Caliza answered 401 at a time the run had no session: a refused create may fail the run. */
  authWithoutSession: boolean;
  /** Workflow time since when Caliza has answered healthily with a decided session; null otherwise. */
  decidedAndHealthySince: number | null;
  lastEvent: VerificationEvent | null;
  eventsSent: number;
  /** One line per command, for the report of a failure. */
  log: string[];
}

export interface ModelReal {
  rig: OutageRig;
  settings: ModelSettings;
}

export class ModelViolation extends Error {
  override readonly name = 'ModelViolation';
}

function violation(model: VerificationModel, message: string): never {
  throw new ModelViolation(`${model.beneficiaryId}: ${message}\nsteps:\n  ${model.log.join('\n  ')}`);
}

export function newModel(beneficiaryId: string, mode: CalizaMode): VerificationModel {
  return {
    beneficiaryId,
    truth: 'PENDING',
    mode,
    deadlineAt: null,
    cancelled: false,
    closed: false,
    sessionSeen: false,
    authWithoutSession: mode === 'auth',
    decidedAndHealthySince: null,
    lastEvent: null,
    eventsSent: 0,
    log: [`caliza ${mode}`],
  };
}

const terminal = (truth: SessionTruth): boolean => truth === 'SUCCEEDED' || truth === 'FAILED';

async function noteHealth(model: VerificationModel, real: ModelReal): Promise<void> {
  if (model.mode === 'ok' && terminal(model.truth)) model.decidedAndHealthySince ??= await real.rig.now();
  else model.decidedAndHealthySince = null;
}

/**
 * The invariants, after every command: the worker runs; every run stays within its history bound and no
 * workflow task is stuck; a closed verification closed by its deadline plus one poll interval, with the
 * outcome Caliza's session has (unless cancelled); a running one is not past the point where it must have
 * decided.
 */
export async function checkInvariants(model: VerificationModel, real: ModelReal): Promise<void> {
  const { rig, settings } = real;
  const health = rig.workerHealth();
  if (!health.alive || health.fatalLines.length > 0)
    violation(model, `the worker died (${health.exit}): ${health.fatalLines.slice(0, 3).join(' | ')}`);
  const runs = await rig.runs(model.beneficiaryId);
  const summary = chainSummary(runs);
  for (const run of runs) {
    if (run.events > settings.maxHistoryEventsPerRun + HISTORY_SLACK_EVENTS)
      violation(model, `run ${run.runId} has ${run.events} events`);
  }
  if (summary.taskTimeouts + summary.taskFailures > 0)
    violation(model, `${summary.taskTimeouts} workflow tasks timed out, ${summary.taskFailures} failed`);
  if (summary.longestPlainTaskMs > MAX_PLAIN_TASK_MS)
    violation(model, `a workflow task with no local-activity result took ${summary.longestPlainTaskMs} ms`);
  if (summary.longestLocalActivityTaskMs > MAX_LOCAL_ACTIVITY_TASK_MS)
    violation(model, `a local-activity cycle held its task for ${summary.longestLocalActivityTaskMs} ms`);
  const first = runs[0];
  if (model.deadlineAt === null && first) model.deadlineAt = first.startedAt + settings.deadlineMs;

  const last = runs[runs.length - 1];
  if (!last || last.closedAt === null) {
    const state = await rig.state(model.beneficiaryId);
    if (state && state.status !== NOT_CREATED) model.sessionSeen = true;
    const now = await rig.now();
    const since = model.decidedAndHealthySince;
    const allowed = Math.max(settings.polling.maxIntervalMs, MAX_RETRY_AFTER_MS) + 10 * MINUTE;
    if (since !== null && now - since > allowed && model.deadlineAt !== null && now < model.deadlineAt)
      violation(
        model,
        `still running ${Math.round((now - since) / MINUTE)} min after Caliza began answering ${model.truth} healthily`,
      );
    return;
  }
  model.closed = true;
  const deadline = model.deadlineAt ?? Number.POSITIVE_INFINITY;
  if (last.closedAt > deadline + settings.polling.maxIntervalMs)
    violation(model, `closed ${Math.round((last.closedAt - deadline) / MINUTE)} min after its deadline`);
  const result = await rig.closedResult(model.beneficiaryId);
  if (model.cancelled) {
    // A cancel that came after the decision changes nothing; otherwise the run ends cancelled.
    if (last.closedAs === 'CANCELED' || (result && !(result instanceof Error))) return;
    violation(model, `cancelled, but ended ${last.closedAs}: ${String(result)}`);
  }
  if (!result) violation(model, `closed as ${last.closedAs} without a result`);
  if (result instanceof Error) {
    const type = (result.cause as { type?: string } | undefined)?.type;
    if (type === 'auth.unauthorized' && model.authWithoutSession && !model.sessionSeen) return;
    violation(model, `ended ${last.closedAs}: ${type ?? ''} ${(result.cause as Error | undefined)?.message}`);
  }
  if (result.outcome === 'APPROVED' && model.truth !== 'SUCCEEDED')
    violation(model, `APPROVED by ${result.decidedBy} while Caliza's session is ${model.truth}`);
  if (result.outcome === 'FAILED') {
    if (result.reason === 'EXPIRED') {
      if (result.decidedBy !== 'DEADLINE' || last.closedAt < deadline)
        violation(
          model,
          `EXPIRED by ${result.decidedBy} at ${new Date(last.closedAt).toISOString()}, before its deadline`,
        );
    } else if (model.truth !== 'FAILED') {
      violation(
        model,
        `FAILED (${result.reason}) by ${result.decidedBy} while Caliza's session is ${model.truth}`,
      );
    }
  }
}

/** `start()` with a timeout: always answered within it (plus grace), whatever Caliza does. */
export class StartCommand implements AsyncCommand<VerificationModel, ModelReal> {
  constructor(readonly timeoutMs: number) {}
  check(m: Readonly<VerificationModel>): boolean {
    return !m.closed;
  }
  async run(m: VerificationModel, r: ModelReal): Promise<void> {
    const answer = await r.rig.timedStart(
      m.beneficiaryId,
      {
        polling: r.settings.polling,
        deadlineMs: r.settings.deadlineMs,
        maxHistoryEventsPerRun: r.settings.maxHistoryEventsPerRun,
        timeoutMs: this.timeoutMs,
      },
      'model',
      r.settings.startGraceMs,
    );
    m.log.push(
      `${this.toString()} → ${answer.answered} ${answer.status ?? answer.error ?? ''} in ${answer.elapsedMs} ms`,
    );
    if (answer.answered === 'NO_ANSWER' || answer.elapsedMs > this.timeoutMs + r.settings.startGraceMs)
      violation(m, `start() not answered within ${this.timeoutMs} ms`);
    if (answer.answered === 'REJECTED' && !(answer.error === 'auth.unauthorized' && m.authWithoutSession))
      violation(m, `start() rejected with ${answer.error}`);
    if (answer.answered === 'RETURNED' && answer.status !== NOT_CREATED) m.sessionSeen = true;
    await checkInvariants(m, r);
  }
  toString(): string {
    return `start(timeout ${this.timeoutMs} ms)`;
  }
}

export type EventKind = 'new' | 'duplicate' | 'conflicting';

/** A webhook event signalled straight to the workflow (early ones arrive before the session exists). */
export class WebhookCommand implements AsyncCommand<VerificationModel, ModelReal> {
  constructor(
    readonly kind: EventKind,
    readonly operation: OutcomeOperation,
  ) {}
  check(m: Readonly<VerificationModel>): boolean {
    return !m.closed;
  }
  async run(m: VerificationModel, r: ModelReal): Promise<void> {
    const opposite = (op: OutcomeOperation): OutcomeOperation =>
      op === 'BENEFICIARY_APPROVED' ? 'BENEFICIARY_FAILED' : 'BENEFICIARY_APPROVED';
    let event: VerificationEvent;
    if (this.kind === 'duplicate' && m.lastEvent) {
      event = m.lastEvent;
    } else {
      m.eventsSent += 1;
      const operation =
        this.kind === 'conflicting' && m.lastEvent ? opposite(m.lastEvent.operation) : this.operation;
      event = {
        operation,
        beneficiaryId: m.beneficiaryId,
        createdAt: `2026-12-0${1 + (m.eventsSent % 9)}T10:00:00.${String(m.eventsSent).padStart(6, '0')}`,
        success: operation === 'BENEFICIARY_APPROVED',
        message: operation === 'BENEFICIARY_FAILED' ? 'Document rejected' : null,
      };
    }
    m.lastEvent = event;
    const handle = r.rig.client.workflow.getHandle(workflowIdFor(m.beneficiaryId));
    const sent = await handle.signal(verificationEventSignal, event).then(
      () => 'signalled',
      (err: Error) => `not signalled (${err.name})`,
    );
    m.log.push(`${this.toString()} ${event.operation}@${event.createdAt} → ${sent}`);
    if (sent !== 'signalled' && (await r.rig.status(m.beneficiaryId)) === 'RUNNING')
      violation(m, `a running verification refused a signal: ${sent}`);
    await checkInvariants(m, r);
  }
  toString(): string {
    return `webhook(${this.kind}, ${this.operation})`;
  }
}

/** Caliza starts answering healthily, or in one of the fault modes. */
export class CalizaModeCommand implements AsyncCommand<VerificationModel, ModelReal> {
  constructor(readonly mode: CalizaMode) {}
  check(m: Readonly<VerificationModel>): boolean {
    return !m.closed && m.mode !== this.mode;
  }
  async run(m: VerificationModel, r: ModelReal): Promise<void> {
    m.mode = this.mode;
    r.rig.caliza.setMode(m.beneficiaryId, this.mode);
    if (this.mode === 'auth' && !m.sessionSeen) m.authWithoutSession = true;
    m.log.push(this.toString());
    await noteHealth(m, r);
    await checkInvariants(m, r);
  }
  toString(): string {
    return `caliza(${this.mode})`;
  }
}

/** Caliza's session moves on: decided (for good), or PROCESSING. */
export class SessionCommand implements AsyncCommand<VerificationModel, ModelReal> {
  constructor(readonly truth: Extract<SessionTruth, 'SUCCEEDED' | 'FAILED' | 'PROCESSING'>) {}
  check(m: Readonly<VerificationModel>): boolean {
    return !m.closed && !terminal(m.truth) && m.truth !== this.truth;
  }
  async run(m: VerificationModel, r: ModelReal): Promise<void> {
    m.truth = this.truth;
    r.rig.caliza.setSession(m.beneficiaryId, this.truth);
    m.log.push(this.toString());
    await noteHealth(m, r);
    await checkInvariants(m, r);
  }
  toString(): string {
    return `session(${this.truth})`;
  }
}

/** Workflow time moves on, an hour at a time. */
export class TimeJumpCommand implements AsyncCommand<VerificationModel, ModelReal> {
  constructor(readonly ms: number) {}
  check(m: Readonly<VerificationModel>): boolean {
    return !m.closed;
  }
  async run(m: VerificationModel, r: ModelReal): Promise<void> {
    m.log.push(this.toString());
    await advanceOrFail(m, r, this.ms);
    await checkInvariants(m, r);
  }
  toString(): string {
    return this.ms >= 24 * HOUR
      ? `jump(${Math.round(this.ms / HOUR / 24)} d)`
      : this.ms >= HOUR
        ? `jump(${Math.round(this.ms / HOUR)} h)`
        : `jump(${Math.round(this.ms / MINUTE)} min)`;
  }
}

export async function advanceOrFail(m: VerificationModel, r: ModelReal, ms: number): Promise<void> {
  try {
    await r.rig.advance(ms, { stepMs: HOUR, realBudgetMs: r.settings.realBudgetPerHourMs });
  } catch (err) {
    if (err instanceof TimeStalledError) violation(m, err.message);
    throw err;
  }
}

/** The deadline moves later. */
export class ExtendDeadlineCommand implements AsyncCommand<VerificationModel, ModelReal> {
  constructor(readonly byMs: number) {}
  check(m: Readonly<VerificationModel>): boolean {
    return !m.closed && m.deadlineAt !== null;
  }
  async run(m: VerificationModel, r: ModelReal): Promise<void> {
    const state = await r.rig.state(m.beneficiaryId);
    const from = state ? Date.parse(state.deadlineAt) : (m.deadlineAt as number);
    const to = new Date(from + this.byMs);
    const answer = await r.rig.verifications.extendDeadline(m.beneficiaryId, to).then(
      (a) => a.deadlineAt,
      (err: Error) => err,
    );
    m.log.push(`${this.toString()} → ${answer instanceof Error ? answer.name : answer}`);
    if (answer instanceof Error) {
      // Refused only because the verification was decided meanwhile.
      const closed = await waitUntil(
        async () => ((await r.rig.status(m.beneficiaryId)) !== 'RUNNING' ? true : undefined),
        10_000,
      );
      if (!closed) violation(m, `extendDeadline refused on a running verification: ${answer.message}`);
    } else {
      m.deadlineAt = to.getTime();
    }
    await checkInvariants(m, r);
  }
  toString(): string {
    return `extendDeadline(+${Math.round(this.byMs / HOUR)} h)`;
  }
}

/** The verification is cancelled: it ends Cancelled promptly, also in the middle of a Caliza call. */
export class CancelCommand implements AsyncCommand<VerificationModel, ModelReal> {
  check(m: Readonly<VerificationModel>): boolean {
    return !m.closed;
  }
  async run(m: VerificationModel, r: ModelReal): Promise<void> {
    m.cancelled = true;
    await r.rig.verifications.cancel(m.beneficiaryId).catch(() => undefined);
    const closed = await waitUntil(
      async () => ((await r.rig.status(m.beneficiaryId)) !== 'RUNNING' ? true : undefined),
      20_000,
    );
    m.log.push(`${this.toString()} → ${closed ? 'closed' : 'still running'}`);
    if (!closed) violation(m, 'still running 20 s after it was cancelled');
    await checkInvariants(m, r);
  }
  toString(): string {
    return 'cancel()';
  }
}

/**
 * After the commands: time runs to the deadline plus one longest poll interval (and a little), and the
 * verification must be closed by then, whatever Caliza does.
 */
export async function settle(m: VerificationModel, r: ModelReal): Promise<void> {
  await checkInvariants(m, r);
  if (m.closed) return;
  const until = (m.deadlineAt as number) + r.settings.polling.maxIntervalMs + 5 * MINUTE;
  const now = await r.rig.now();
  m.log.push(`settle: to the deadline + ${Math.round(r.settings.polling.maxIntervalMs / MINUTE)} min`);
  if (until > now) await advanceOrFail(m, r, until - now);
  // A last local-activity cycle may still be finishing in real time.
  await waitUntil(
    async () => ((await r.rig.status(m.beneficiaryId)) !== 'RUNNING' ? true : undefined),
    15_000,
  );
  await checkInvariants(m, r);
  if (!m.closed) violation(m, 'still running after its deadline plus one poll interval');
}
