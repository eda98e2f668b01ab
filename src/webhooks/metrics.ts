import { Counter, Histogram, Registry } from 'prom-client';
import { OUTCOME_OPERATIONS, type OutcomeOperation } from '../contracts';
import { FORWARD_OUTCOMES, type ForwardOutcome } from './forwarder';

export const DELIVERY_RESULTS = [
  'accepted',
  'recorded_after_end',
  'already_ended',
  'duplicate',
  'ignored',
  'forwarded',
  'forward_failed',
  'bad_signature',
  'bad_request',
  'too_large',
  'unavailable',
  'error',
] as const;
export type DeliveryResultLabel = (typeof DELIVERY_RESULTS)[number];

export type SignatureFailure = 'missing' | 'invalid';

/** The receiver's metrics, in a registry of its own so several receivers can live in one process. */
export class WebhookMetrics {
  readonly registry: Registry;
  private readonly deliveries: Counter<'result'>;
  private readonly signatureFailures: Counter<'reason'>;
  private readonly duplicates: Counter;
  private readonly alreadyEnded: Counter<'operation'>;
  private readonly signalSeconds: Histogram<'result'>;
  private readonly forwards: Counter<'outcome'>;
  private readonly forwardSeconds: Histogram<'outcome'>;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.deliveries = new Counter({
      name: 'caliza_webhook_deliveries_total',
      help: 'Webhook deliveries received, by result',
      labelNames: ['result'],
      registers,
    });
    this.signatureFailures = new Counter({
      name: 'caliza_webhook_signature_failures_total',
      help: 'Deliveries refused because the signature header was missing or did not match any secret',
      labelNames: ['reason'],
      registers,
    });
    this.duplicates = new Counter({
      name: 'caliza_webhook_duplicate_deliveries_total',
      help: 'Outcome deliveries answered without signalling, as Temporal already accepted the same event (same beneficiary, operation and event time)',
      registers,
    });
    this.alreadyEnded = new Counter({
      name: 'caliza_webhook_already_ended_total',
      help: 'Outcome events for a verification that had already ended, left alone, by operation',
      labelNames: ['operation'],
      registers,
    });
    this.signalSeconds = new Histogram({
      name: 'caliza_webhook_signal_duration_seconds',
      help: 'Time for Temporal to durably accept an outcome signal (or fail to), by result',
      labelNames: ['result'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 5],
      registers,
    });
    this.forwards = new Counter({
      name: 'caliza_webhook_forwards_total',
      help: "Webhooks forwarded to the integrator's endpoint, by outcome (delivered = 2xx, rejected = other status, timeout, unreachable)",
      labelNames: ['outcome'],
      registers,
    });
    this.forwardSeconds = new Histogram({
      name: 'caliza_webhook_forward_duration_seconds',
      help: "Time for the integrator's endpoint to answer a forwarded webhook (or fail to), by outcome",
      labelNames: ['outcome'],
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 3, 4.5],
      registers,
    });
    // Every result shows from the first scrape, at zero, so rates and alerts need no special case.
    for (const result of DELIVERY_RESULTS) this.deliveries.inc({ result }, 0);
    for (const reason of ['missing', 'invalid'] as const) this.signatureFailures.inc({ reason }, 0);
    for (const operation of OUTCOME_OPERATIONS) this.alreadyEnded.inc({ operation }, 0);
    for (const outcome of FORWARD_OUTCOMES) this.forwards.inc({ outcome }, 0);
  }

  delivery(result: DeliveryResultLabel): void {
    this.deliveries.inc({ result });
  }

  signatureFailure(reason: SignatureFailure): void {
    this.signatureFailures.inc({ reason });
  }

  duplicate(): void {
    this.duplicates.inc();
  }

  alreadyEndedEvent(operation: OutcomeOperation): void {
    this.alreadyEnded.inc({ operation });
  }

  signalDuration(
    result: 'accepted' | 'recorded_after_end' | 'already_ended' | 'unavailable' | 'error',
    seconds: number,
  ): void {
    this.signalSeconds.observe({ result }, seconds);
  }

  forward(outcome: ForwardOutcome, seconds: number): void {
    this.forwards.inc({ outcome });
    this.forwardSeconds.observe({ outcome }, seconds);
  }
}
