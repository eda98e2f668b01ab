import type { OutcomeOperation } from '../src/caliza/vocabulary';

export type WebhookFault = 'dropped' | 'duplicated' | 'delayed' | 'reordered';

export interface DeliveryLogEntry {
  /** Position in the log, increasing; survives trimming so readers can page with `afterSeq`. */
  seq: number;
  /** One delivery = one event sent to the receiver, over one or more attempts. */
  deliveryId: number;
  /** For an injected duplicate, the delivery it copies. */
  duplicateOf: number | null;
  /** When the attempt started (ISO 8601). */
  time: string;
  operation: OutcomeOperation;
  beneficiaryId: string;
  /** 1 for the first attempt; 0 for an event dropped before any attempt. */
  attempt: number;
  url: string | null;
  /** HTTP status received, or null when there was no answer. */
  status: number | null;
  /** Network error, timeout or the reason nothing was sent. */
  error: string | null;
  durationMs: number;
  result: 'acknowledged' | 'will-retry' | 'failed' | 'dropped';
  nextAttemptInMs: number | null;
  /** Faults injected into this delivery; empty for a plain delivery. */
  injectedFaults: WebhookFault[];
}

export interface DeliveryLogQuery {
  beneficiaryId?: string;
  afterSeq?: number;
  limit?: number;
}

/** A bounded ring buffer: memory stays flat however many webhooks a benchmark sends. */
export class DeliveryLog {
  private entries: DeliveryLogEntry[] = [];
  private start = 0;
  private nextSeq = 1;

  constructor(private readonly capacity: number) {}

  append(entry: Omit<DeliveryLogEntry, 'seq'>): DeliveryLogEntry {
    const full = { seq: this.nextSeq, ...entry };
    this.nextSeq += 1;
    if (this.capacity === 0) return full;
    if (this.entries.length < this.capacity) {
      this.entries.push(full);
    } else {
      this.entries[this.start] = full;
      this.start = (this.start + 1) % this.capacity;
    }
    return full;
  }

  /** Oldest first. Bounded by the capacity, so an admin read never walks more than that. */
  query({ beneficiaryId, afterSeq = 0, limit = 1_000 }: DeliveryLogQuery): DeliveryLogEntry[] {
    const result: DeliveryLogEntry[] = [];
    for (let i = 0; i < this.entries.length && result.length < limit; i += 1) {
      const entry = this.entries[(this.start + i) % this.entries.length];
      if (!entry || entry.seq <= afterSeq) continue;
      if (beneficiaryId !== undefined && entry.beneficiaryId !== beneficiaryId) continue;
      result.push(entry);
    }
    return result;
  }

  clear(): void {
    this.entries = [];
    this.start = 0;
  }
}
