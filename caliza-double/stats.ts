export interface WebhookCounters {
  /** Outcome events produced (one per decided session). */
  events: number;
  /** Deliveries started (an event plus any injected duplicate). */
  deliveries: number;
  /** HTTP attempts made, retries included. */
  attempts: number;
  /** Deliveries the receiver answered with 2xx. */
  acknowledged: number;
  /** Deliveries given up after the last attempt. */
  failed: number;
  /** Events never sent because of an injected drop. */
  dropped: number;
}

export interface StatsSnapshot {
  sessionsCreatedByBeneficiary: Record<string, number>;
  apiCalls: Record<string, Record<string, number>>;
  webhooks: WebhookCounters;
}

const ZERO_WEBHOOKS: WebhookCounters = {
  events: 0,
  deliveries: 0,
  attempts: 0,
  acknowledged: 0,
  failed: 0,
  dropped: 0,
};

/** Counters kept incrementally so reading them never needs to walk the state. */
export class SandboxStats {
  private sessionsCreated = new Map<string, number>();
  private apiCalls = new Map<string, Map<number, number>>();
  webhooks: WebhookCounters = { ...ZERO_WEBHOOKS };

  sessionCreated(beneficiaryId: string): void {
    this.sessionsCreated.set(beneficiaryId, (this.sessionsCreated.get(beneficiaryId) ?? 0) + 1);
  }

  apiCall(route: string, status: number): void {
    let byStatus = this.apiCalls.get(route);
    if (!byStatus) {
      byStatus = new Map();
      this.apiCalls.set(route, byStatus);
    }
    byStatus.set(status, (byStatus.get(status) ?? 0) + 1);
  }

  reset(): void {
    this.sessionsCreated = new Map();
    this.apiCalls = new Map();
    this.webhooks = { ...ZERO_WEBHOOKS };
  }

  snapshot(): StatsSnapshot {
    const apiCalls: Record<string, Record<string, number>> = {};
    for (const [route, byStatus] of this.apiCalls) apiCalls[route] = Object.fromEntries(byStatus);
    return {
      sessionsCreatedByBeneficiary: Object.fromEntries(this.sessionsCreated),
      apiCalls,
      webhooks: { ...this.webhooks },
    };
  }
}
