/**
 * The Temporal side of the receiver: event delivery through `VerificationClient.deliverEvent` and a
 * readiness probe, each bounded by a gRPC deadline so that an unreachable cluster fails the call (and the
 * webhook answers 503) well inside Caliza's 5 s, instead of the client retrying for much longer.
 */
import type { Client } from '@temporalio/client';
import type { DeliveryResult, VerificationClient } from '../client/verification-client';
import type { VerificationEvent } from '../contracts';
import { DEFAULT_TEMPORAL_TIMEOUT_MS } from './config';

/** What the receiver needs from Temporal; `VerificationClient` satisfies it directly. */
export interface EventDelivery {
  /** Resolves once Temporal durably holds the event (or says the verification already ended). */
  deliverEvent(event: VerificationEvent): Promise<DeliveryResult>;
}

export const DEFAULT_READINESS_TIMEOUT_MS = 1_000;

export function temporalEventDelivery(
  verification: VerificationClient,
  options: { timeoutMs?: number } = {},
): EventDelivery {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TEMPORAL_TIMEOUT_MS;
  const connection = verification.client.connection;
  return {
    deliverEvent: (event) =>
      connection.withDeadline(Date.now() + timeoutMs, () => verification.deliverEvent(event)),
  };
}

/** Rejects unless the Temporal frontend answers a cheap call within the timeout. */
export function temporalReadiness(client: Client, options: { timeoutMs?: number } = {}): () => Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  return async () => {
    await client.connection.withDeadline(Date.now() + timeoutMs, () =>
      client.workflowService.getSystemInfo({}),
    );
  };
}
