/**
 * The workflow's own metrics, recorded through the SDK's workflow metric meter: the SDK drops what is recorded
 * while a history is replayed, so each is counted once however often a run is replayed, and recording
 * adds nothing to the history. The SDK adds `namespace`, `taskQueue` and `workflowType` labels.
 */
import { metricMeter, workflowInfo } from '@temporalio/workflow';
import type { VerificationResult } from '../contracts';

export type CalizaCallPurpose = 'CREATE' | 'POLL' | 'CONFIRM';

export class VerificationMetrics {
  private readonly startedCounter = metricMeter.createCounter(
    'caliza_verifications_started',
    'verifications',
    'Verifications started (first runs only, not their continuations)',
  );
  private readonly decidedCounter = metricMeter.createCounter(
    'caliza_verifications_decided',
    'verifications',
    'Verifications decided, by outcome (APPROVED, FAILED) and by what decided them (WEBHOOK, POLL, DEADLINE)',
  );
  private readonly decisionSeconds = metricMeter.createHistogram(
    'caliza_verification_decision_seconds',
    'float',
    's',
    'Time from the verification start (of its first run) to its decision, by outcome and decided_by',
  );
  private readonly callFailureCounter = metricMeter.createCounter(
    'caliza_call_failures',
    'calls',
    'Caliza calls that failed after their local retries, by failure kind and purpose',
  );
  private readonly backoffCounter = metricMeter.createCounter(
    'caliza_verification_backoffs',
    'waits',
    'Back-offs (durable timers) begun after a Caliza call failed for good',
  );
  /** The back-off last counted, so that a wait resumed after a duplicate webhook is not counted again. */
  private lastBackoff: string | null = null;

  started(): void {
    this.startedCounter.add(1);
  }

  decided(result: VerificationResult): void {
    const labels = { outcome: result.outcome, decided_by: result.decidedBy };
    this.decidedCounter.add(1, labels);
    const seconds = (Date.now() - workflowInfo().startTime.getTime()) / 1000;
    this.decisionSeconds.record(Math.max(0, seconds), labels);
  }

  callFailed(kind: string, purpose: CalizaCallPurpose): void {
    this.callFailureCounter.add(1, { kind, purpose });
  }

  /** `key` names the planned wait; the same plan is counted once. */
  backoff(key: string): void {
    if (key === this.lastBackoff) return;
    this.lastBackoff = key;
    this.backoffCounter.add(1);
  }
}
