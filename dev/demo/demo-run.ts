/**
 * Runs the demo's scenarios against a running service and the sandbox double: creates the beneficiaries,
 * starts their verifications, acts as each beneficiary (or operator) would, and reports every outcome as
 * it lands. Used by `npm run demo` and by the stack tests.
 */
import { performance } from 'node:perf_hooks';
import { WorkflowFailedError } from '@temporalio/client';
import { CancelledFailure } from '@temporalio/common';
import type { CalizaClient } from '../../src/caliza';
import type { VerificationClient } from '../../src/client/verification-client';
import type { DecidedBy, VerificationKind } from '../../src/contracts';
import { sampleBusiness, sampleIndividual } from '../sample-beneficiaries';
import { verificationKindKey, verificationOutcomeKey } from '../../src/search-attributes';
import { decideOnHostedPage } from './hosted-page';
import type { SandboxAdmin } from './sandbox-admin';
import {
  type DemoTiming,
  type OutcomeLabel,
  type Scenario,
  DEFAULT_DEMO_TIMING,
  demoScenarios,
} from './scenarios';

export interface DemoDependencies {
  verifications: VerificationClient;
  caliza: CalizaClient;
  admin: SandboxAdmin;
  /** One line of output. */
  report: (line: string) => void;
  /** Makes this run's beneficiaries unique at Caliza. */
  runTag: string;
  timing?: DemoTiming;
  /** How often a waiting line is printed while outcomes are pending. */
  progressEveryMs?: number;
  /** Give up on outcomes after this long. */
  timeoutMs?: number;
}

export interface DemoOutcome {
  scenario: Scenario;
  beneficiaryId: string;
  outcome: OutcomeLabel | 'NONE';
  decidedBy: DecidedBy | null;
  reason: string | null;
  kind: VerificationKind | null;
  /** What the Web UI filters on: the run's `VerificationOutcome` search attribute. */
  searchAttributeOutcome: string | null;
  elapsedMs: number;
  ok: boolean;
  error?: string;
}

interface Started {
  scenario: Scenario;
  beneficiaryId: string;
  verificationUrl: string | null;
  startedAt: number;
}

const DROPPED_WEBHOOK_WAIT_MS = 30_000;

export async function runDemo(deps: DemoDependencies): Promise<DemoOutcome[]> {
  const timing = deps.timing ?? DEFAULT_DEMO_TIMING;
  const scenarios = demoScenarios(timing);
  const { report } = deps;

  report(
    `Creating ${scenarios.length} beneficiaries at the Caliza sandbox double and starting their verifications:`,
  );
  const started = await Promise.all(scenarios.map((scenario) => createAndStart(deps, scenario)));
  const width = Math.max(...scenarios.map((s) => s.name.length));
  for (const entry of started) {
    report(`  ${entry.scenario.name.padEnd(width)}  ${entry.beneficiaryId}  ${entry.scenario.story}`);
  }

  const outcomes = started.map((entry) => awaitOutcome(deps, entry));
  const decided: DemoOutcome[] = [];
  const waiting = new Set(started.map((entry) => entry.scenario.name));
  const printed = Promise.all(
    outcomes.map((promise) =>
      promise.then((outcome) => {
        decided.push(outcome);
        waiting.delete(outcome.scenario.name);
        report(`[${decided.length}/${started.length}] ${describeOutcome(outcome, width)}`);
        return outcome;
      }),
    ),
  );

  report('');
  report('Acting as the beneficiaries and an operator:');
  await act(deps, started);

  report('');
  report('Outcomes, as they land:');
  const progress = setInterval(() => {
    if (waiting.size > 0)
      report(`      … ${decided.length}/${started.length} decided; waiting for ${[...waiting].join(', ')}`);
  }, deps.progressEveryMs ?? 5_000);
  progress.unref();
  const timeoutMs = deps.timeoutMs ?? 90_000;
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no outcome for ${[...waiting].join(', ')} after ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
    timer.unref();
  });
  try {
    return await Promise.race([printed, timedOut]);
  } finally {
    clearInterval(progress);
    clearTimeout(timer);
  }
}

async function createAndStart(deps: DemoDependencies, scenario: Scenario): Promise<Started> {
  const reference = `demo-${deps.runTag}-${scenario.name}`;
  const request =
    scenario.type === 'BUSINESS'
      ? sampleBusiness(reference, `${capitalize(scenario.name)} Corp`)
      : sampleIndividual(reference, capitalize(scenario.name));
  const beneficiary = await deps.caliza.createBeneficiary(request);
  const startedAt = performance.now();
  const verification = await deps.verifications.start(beneficiary.id, scenario.start);
  return {
    scenario,
    beneficiaryId: beneficiary.id,
    verificationUrl: verification.verificationUrl,
    startedAt,
  };
}

/**
 * The dropped webhook goes first, alone: webhook faults apply to every event, so nothing else is decided
 * while the double drops them, and the fault is off again before any other decision.
 */
async function act(deps: DemoDependencies, started: Started[]): Promise<void> {
  const say = (entry: Started, what: string) => deps.report(`  ${entry.scenario.name}: ${what}`);
  for (const entry of started) {
    const action = entry.scenario.action;
    if (action.kind !== 'decide' || !action.dropWebhook) continue;
    const before = (await deps.admin.faults()).webhooks.dropShare;
    await deps.admin.patchFaults({ webhooks: { dropShare: 1 } });
    try {
      await decideOnHostedPage(urlOf(entry), action.decision, action.reason);
      say(entry, `${pastTense(action.decision)} on the hosted page; the double drops its webhook`);
      await waitForDroppedWebhook(deps.admin, entry.beneficiaryId);
    } finally {
      await deps.admin.patchFaults({ webhooks: { dropShare: before } });
    }
    say(entry, 'webhook dropped; the verification will find out by polling');
  }
  await Promise.all(
    started.map(async (entry) => {
      const action = entry.scenario.action;
      if (action.kind === 'decide' && !action.dropWebhook) {
        await decideOnHostedPage(urlOf(entry), action.decision, action.reason);
        say(
          entry,
          `${pastTense(action.decision)} on the hosted page${action.reason ? ` (${action.reason})` : ''}`,
        );
      } else if (action.kind === 'cancel') {
        await deps.verifications.cancel(entry.beneficiaryId);
        say(entry, 'cancelled by an operator (what `npm run ops -- cancel <id>` does)');
      } else if (action.kind === 'wait-for-deadline') {
        say(entry, 'left alone until its deadline');
      }
    }),
  );
}

async function waitForDroppedWebhook(admin: SandboxAdmin, beneficiaryId: string): Promise<void> {
  const deadline = Date.now() + DROPPED_WEBHOOK_WAIT_MS;
  while (Date.now() < deadline) {
    const entries = await admin.deliveries(beneficiaryId);
    if (entries.some((entry) => entry.result === 'dropped')) return;
    if (entries.some((entry) => entry.attempt > 0)) {
      throw new Error(`the webhook of ${beneficiaryId} was sent although drops were on`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(
    `the double did not emit the outcome webhook of ${beneficiaryId} within ${DROPPED_WEBHOOK_WAIT_MS / 1000} s`,
  );
}

async function awaitOutcome(deps: DemoDependencies, entry: Started): Promise<DemoOutcome> {
  const base = { scenario: entry.scenario, beneficiaryId: entry.beneficiaryId };
  let outcome: DemoOutcome['outcome'] = 'NONE';
  let decidedBy: DecidedBy | null = null;
  let reason: string | null = null;
  let kind: VerificationKind | null = null;
  let error: string | undefined;
  try {
    const result = await deps.verifications.result(entry.beneficiaryId);
    outcome = result.reason === 'EXPIRED' ? 'EXPIRED' : result.outcome;
    ({ decidedBy, reason, kind } = result);
  } catch (err) {
    if (err instanceof WorkflowFailedError && err.cause instanceof CancelledFailure) outcome = 'CANCELLED';
    else error = err instanceof Error ? err.message : String(err);
  }
  const elapsedMs = performance.now() - entry.startedAt;
  const description = await deps.verifications.handle(entry.beneficiaryId).describe();
  const searchAttributeOutcome = description.typedSearchAttributes.get(verificationOutcomeKey) ?? null;
  kind ??=
    (description.typedSearchAttributes.get(verificationKindKey) as VerificationKind | undefined) ?? null;
  const expected = entry.scenario.expected;
  const ok =
    error === undefined &&
    outcome === expected.outcome &&
    decidedBy === expected.decidedBy &&
    (expected.reason === undefined || reason === expected.reason) &&
    searchAttributeOutcome === expected.outcome;
  return {
    ...base,
    outcome,
    decidedBy,
    reason,
    kind,
    searchAttributeOutcome,
    elapsedMs,
    ok,
    ...(error !== undefined && { error }),
  };
}

export function describeOutcome(outcome: DemoOutcome, width = 0): string {
  const { scenario, expected } = { scenario: outcome.scenario, expected: outcome.scenario.expected };
  const what =
    outcome.error !== undefined
      ? `ERROR ${outcome.error}`
      : `${outcome.outcome}${outcome.reason && outcome.reason !== outcome.outcome ? ` (${outcome.reason})` : ''}` +
        `${outcome.decidedBy ? ` by ${outcome.decidedBy}` : ''}`;
  const verdict = outcome.ok
    ? ''
    : `  <- expected ${expected.outcome}${expected.decidedBy ? ` by ${expected.decidedBy}` : ''}` +
      `, search attribute ${outcome.searchAttributeOutcome ?? 'unset'}`;
  return `${outcome.ok ? '✓' : '✗'} ${scenario.name.padEnd(width)}  ${(outcome.kind ?? '---').padEnd(3)}  ${what} after ${(outcome.elapsedMs / 1000).toFixed(1)} s${verdict}`;
}

function urlOf(entry: Started): string {
  if (!entry.verificationUrl) throw new Error(`${entry.scenario.name} has no verification URL`);
  return entry.verificationUrl;
}

function capitalize(name: string): string {
  return name.charAt(0).toUpperCase() + name.slice(1);
}

function pastTense(decision: 'approve' | 'reject'): string {
  return decision === 'approve' ? 'approved' : 'rejected';
}
