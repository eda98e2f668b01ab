import type { OutcomeOperation } from '../src/caliza/vocabulary';
import { SIGNATURE_HEADER, signWebhookBody } from '../src/caliza/signature';
import type { DeliveryLog, DeliveryLogEntry, WebhookFault } from './delivery-log';
import type { FaultInjector } from './fault-injector';
import type { WebhookHttpClient } from './http-post';
import type { WebhookDeliveryConfig } from './options';
import type { Scheduler } from './scheduler';
import type { SandboxStats } from './stats';
import type { BeneficiaryView } from './store';
import { zonelessMicros } from './timestamps';

/** Caliza's webhook envelope, in the documented field order. */
export interface WebhookEnvelope {
  operation: OutcomeOperation;
  resourceId: string;
  createdAt: string;
  integratorId: string;
  beneficiaryId: string;
  message: string | null;
  success: boolean;
  data: BeneficiaryView;
}

interface OutcomeEvent {
  operation: OutcomeOperation;
  beneficiaryId: string;
  /** Serialised once: retries and duplicates send exactly the same bytes. */
  body: Buffer;
}

interface Delivery {
  id: number;
  event: OutcomeEvent;
  faults: WebhookFault[];
  attempt: number;
  /** For an injected copy, the delivery it duplicates. */
  duplicateOf: number | null;
  /** Injected wait before the first attempt (counted from release when the delivery is held back). */
  delayMs: number;
  /** Cancels a pending max-hold release while the delivery is held back for reordering. */
  releaseHeld: (() => void) | null;
}

export interface DispatcherDependencies {
  config: WebhookDeliveryConfig;
  callbackUrl: () => string;
  secret: () => string;
  faults: FaultInjector;
  scheduler: Scheduler;
  http: WebhookHttpClient;
  log: DeliveryLog;
  stats: SandboxStats;
  onWarning: (message: string, details: Record<string, unknown>) => void;
}

export const WEBHOOK_USER_AGENT = 'caliza-sandbox-double/1';

export function backoffDelayMs(config: WebhookDeliveryConfig, failedAttempt: number): number {
  return Math.min(config.maxDelayMs, config.baseDelayMs * 2 ** (failedAttempt - 1));
}

/**
 * Sends outcome webhooks: signs each attempt with the secret current at that moment, retries with
 * exponential back-off, logs every attempt and applies the injected webhook faults.
 */
export class WebhookDispatcher {
  private nextDeliveryId = 1;
  private readonly held = new Set<Delivery>();
  private active = 0;
  private closed = false;

  constructor(private readonly deps: DispatcherDependencies) {}

  /** Deliveries not finished yet (waiting, in flight, retrying or held back). */
  get pending(): number {
    return this.active;
  }

  emit(envelope: WebhookEnvelope): void {
    const event: OutcomeEvent = {
      operation: envelope.operation,
      beneficiaryId: envelope.beneficiaryId,
      body: Buffer.from(JSON.stringify(envelope), 'utf8'),
    };
    this.deps.stats.webhooks.events += 1;
    const plan = this.deps.faults.planWebhook();
    if (plan.drop) {
      this.deps.stats.webhooks.dropped += 1;
      this.record(this.newDelivery(event, ['dropped'], null), {
        time: new Date().toISOString(),
        attempt: 0,
        url: null,
        status: null,
        error: 'dropped by fault injection',
        durationMs: 0,
        result: 'dropped',
        nextAttemptInMs: null,
      });
      return;
    }
    const faults: WebhookFault[] = [];
    if (plan.delayMs > 0) faults.push('delayed');
    if (plan.reorder) faults.push('reordered');
    if (plan.duplicate) faults.push('duplicated');
    const delivery = this.newDelivery(event, faults, null);
    delivery.delayMs = plan.delayMs;
    this.active += 1;
    if (plan.reorder) {
      this.hold(delivery);
    } else {
      this.deps.scheduler.after(delivery.delayMs, () => this.attempt(delivery));
    }
  }

  /** Sends every held-back delivery now. */
  releaseAllHeld(): number {
    const held = [...this.held];
    for (const delivery of held) this.release(delivery);
    return held.length;
  }

  close(): void {
    this.closed = true;
    this.held.clear();
  }

  private newDelivery(event: OutcomeEvent, faults: WebhookFault[], duplicateOf: number | null): Delivery {
    const delivery: Delivery = {
      id: this.nextDeliveryId,
      event,
      faults,
      attempt: 0,
      duplicateOf,
      delayMs: 0,
      releaseHeld: null,
    };
    this.nextDeliveryId += 1;
    return delivery;
  }

  private hold(delivery: Delivery): void {
    this.held.add(delivery);
    const maxHold = this.deps.faults.current.webhooks.reorderMaxHoldMs;
    delivery.releaseHeld = this.deps.scheduler.after(maxHold, () => this.release(delivery));
  }

  private release(delivery: Delivery): void {
    if (!this.held.delete(delivery)) return;
    delivery.releaseHeld?.();
    delivery.releaseHeld = null;
    this.deps.scheduler.after(delivery.delayMs, () => this.attempt(delivery));
  }

  private async attempt(delivery: Delivery): Promise<void> {
    if (this.closed) return;
    delivery.attempt += 1;
    if (delivery.attempt === 1) this.deps.stats.webhooks.deliveries += 1;
    this.deps.stats.webhooks.attempts += 1;
    const url = this.deps.callbackUrl();
    const startedAt = Date.now();
    const result =
      url === ''
        ? { status: null, error: 'callback_url.not_set: no webhook URL configured' }
        : await this.deps.http.post(
            url,
            delivery.event.body,
            {
              'Content-Type': 'application/json',
              'User-Agent': WEBHOOK_USER_AGENT,
              [SIGNATURE_HEADER]: signWebhookBody(delivery.event.body, this.deps.secret()),
            },
            this.deps.config.timeoutMs,
          );
    if (this.closed) return;
    const durationMs = Date.now() - startedAt;
    const acknowledged = result.status !== null && result.status >= 200 && result.status < 300;
    const retry = !acknowledged && delivery.attempt < this.deps.config.maxAttempts;
    const nextAttemptInMs = retry ? backoffDelayMs(this.deps.config, delivery.attempt) : null;
    this.record(delivery, {
      time: new Date(startedAt).toISOString(),
      attempt: delivery.attempt,
      url: url === '' ? null : url,
      status: result.status,
      error: result.error ?? (acknowledged ? null : `HTTP ${result.status ?? 'error'}`),
      durationMs,
      result: acknowledged ? 'acknowledged' : retry ? 'will-retry' : 'failed',
      nextAttemptInMs,
    });
    if (acknowledged) {
      this.deps.stats.webhooks.acknowledged += 1;
      this.active -= 1;
    } else if (nextAttemptInMs !== null) {
      this.deps.scheduler.after(nextAttemptInMs, () => this.attempt(delivery));
    } else {
      this.deps.stats.webhooks.failed += 1;
      this.active -= 1;
      this.deps.onWarning('webhook delivery failed', {
        beneficiaryId: delivery.event.beneficiaryId,
        operation: delivery.event.operation,
        attempts: delivery.attempt,
        error: result.error,
        status: result.status,
      });
    }
    if (delivery.attempt === 1) this.afterFirstAttempt(delivery);
  }

  /** A later event has now reached the receiver first: send whatever was held back, then any duplicate. */
  private afterFirstAttempt(delivery: Delivery): void {
    if (!delivery.faults.includes('reordered') && delivery.duplicateOf === null) {
      for (const held of [...this.held]) if (held.id < delivery.id) this.release(held);
    }
    if (delivery.faults.includes('duplicated') && delivery.duplicateOf === null) {
      const copy = this.newDelivery(delivery.event, ['duplicated'], delivery.id);
      this.active += 1;
      this.deps.scheduler.after(0, () => this.attempt(copy));
    }
  }

  private record(
    delivery: Delivery,
    entry: Pick<
      DeliveryLogEntry,
      'time' | 'attempt' | 'url' | 'status' | 'error' | 'durationMs' | 'result' | 'nextAttemptInMs'
    >,
  ): void {
    this.deps.log.append({
      deliveryId: delivery.id,
      operation: delivery.event.operation,
      beneficiaryId: delivery.event.beneficiaryId,
      duplicateOf: delivery.duplicateOf,
      injectedFaults: delivery.faults,
      ...entry,
    });
  }
}

export function webhookEnvelope(
  operation: OutcomeOperation,
  integratorId: string,
  beneficiary: BeneficiaryView,
  message: string | null,
): WebhookEnvelope {
  return {
    operation,
    resourceId: beneficiary.id,
    createdAt: zonelessMicros(),
    integratorId,
    beneficiaryId: beneficiary.id,
    message,
    success: operation === 'BENEFICIARY_APPROVED',
    data: beneficiary,
  };
}
