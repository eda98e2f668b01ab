import { mergeFaultConfig, type FaultConfig, type FaultConfigPatch } from './fault-config';
import { createRandom, type Random } from './prng';

export interface FaultCounts {
  apiServerErrors: number;
  apiRateLimited: number;
  apiLatencyAdded: number;
  webhooksDropped: number;
  webhooksDuplicated: number;
  webhooksDelayed: number;
  webhooksReordered: number;
  outcomesForced: number;
}

const ZERO_COUNTS: FaultCounts = {
  apiServerErrors: 0,
  apiRateLimited: 0,
  apiLatencyAdded: 0,
  webhooksDropped: 0,
  webhooksDuplicated: 0,
  webhooksDelayed: 0,
  webhooksReordered: 0,
  outcomesForced: 0,
};

export type ApiFault =
  | { kind: 'none'; latencyMs: number }
  | { kind: 'rate-limit'; latencyMs: number; retryAfterSeconds: number }
  | { kind: 'server-error'; latencyMs: number; status: number };

export interface WebhookFaultPlan {
  drop: boolean;
  duplicate: boolean;
  delayMs: number;
  reorder: boolean;
}

/**
 * Decides, counts and replays injected faults. API calls, webhooks and auto-decisions each draw from their
 * own seeded stream; `reset()` restores the start-up config and re-seeds, so a run can be repeated exactly.
 */
export class FaultInjector {
  private config: FaultConfig;
  private counts: FaultCounts = { ...ZERO_COUNTS };
  private apiRandom!: Random;
  private webhookRandom!: Random;
  private decisionRandom!: Random;

  constructor(
    private readonly initial: FaultConfig,
    readonly seed: number,
  ) {
    this.config = initial;
    this.reseed();
  }

  get current(): FaultConfig {
    return this.config;
  }

  get counters(): FaultCounts {
    return { ...this.counts };
  }

  update(patch: FaultConfigPatch): FaultConfig {
    this.config = mergeFaultConfig(this.config, patch);
    return this.config;
  }

  replace(config: FaultConfig): FaultConfig {
    this.config = mergeFaultConfig(config, {});
    return this.config;
  }

  reset(): void {
    this.config = this.initial;
    this.counts = { ...ZERO_COUNTS };
    this.reseed();
  }

  planApiCall(isTokenEndpoint: boolean): ApiFault {
    const api = this.config.api;
    if (isTokenEndpoint && !api.includeTokenEndpoint) return { kind: 'none', latencyMs: 0 };
    let latencyMs = 0;
    if (this.apiRandom.chance(api.latencyShare)) {
      latencyMs = this.apiRandom.between(api.latencyMinMs, api.latencyMaxMs);
      this.counts.apiLatencyAdded += 1;
    }
    if (this.apiRandom.chance(api.rateLimitShare)) {
      this.counts.apiRateLimited += 1;
      return { kind: 'rate-limit', latencyMs, retryAfterSeconds: api.retryAfterSeconds };
    }
    if (this.apiRandom.chance(api.serverErrorShare)) {
      this.counts.apiServerErrors += 1;
      return { kind: 'server-error', latencyMs, status: this.apiRandom.pick(api.serverErrorStatuses) };
    }
    return { kind: 'none', latencyMs };
  }

  planWebhook(): WebhookFaultPlan {
    const hooks = this.config.webhooks;
    if (this.webhookRandom.chance(hooks.dropShare)) {
      this.counts.webhooksDropped += 1;
      return { drop: true, duplicate: false, delayMs: 0, reorder: false };
    }
    const duplicate = this.webhookRandom.chance(hooks.duplicateShare);
    const delayed = this.webhookRandom.chance(hooks.delayShare);
    const reorder = this.webhookRandom.chance(hooks.reorderShare);
    if (duplicate) this.counts.webhooksDuplicated += 1;
    if (delayed) this.counts.webhooksDelayed += 1;
    if (reorder) this.counts.webhooksReordered += 1;
    return { drop: false, duplicate, delayMs: delayed ? hooks.delayMs : 0, reorder };
  }

  /** Applies a forced outcome, if any; counts every decision taken while one is set. */
  applyForcedOutcome(requested: 'approve' | 'reject'): 'approve' | 'reject' {
    const forced = this.config.forceOutcome;
    if (forced === null) return requested;
    this.counts.outcomesForced += 1;
    return forced;
  }

  /** Auto-decide draws are not faults, but share the seed so a benchmark run is repeatable too. */
  get decisions(): Random {
    return this.decisionRandom;
  }

  private reseed(): void {
    this.apiRandom = createRandom(this.seed, 'api');
    this.webhookRandom = createRandom(this.seed, 'webhooks');
    this.decisionRandom = createRandom(this.seed, 'auto-decide');
  }
}
