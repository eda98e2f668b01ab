/**
 * The Temporal side of the receiver: event delivery through `VerificationClient.deliverEvent` and a
 * readiness probe (which also checks the search attributes), each bounded by a gRPC deadline so that an unreachable cluster fails the call (and the
 * webhook answers 503) well inside Caliza's 5 s, instead of the client retrying for much longer.
 */
import type { Client } from '@temporalio/client';
import type { DeliveryResult, VerificationClient } from '../client/verification-client';
import type { VerificationEvent } from '../contracts';
import {
  type SearchAttributeProblem,
  cannotCheckSearchAttributes,
  describeSearchAttributeProblems,
  searchAttributeProblems,
} from '../search-attribute-check';
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

/** Readiness failed for a reason worth naming in `/readyz` (Temporal answered, but something is missing). */
export class NotReadyError extends Error {
  override readonly name = 'NotReadyError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/**
 * Rejects unless the Temporal frontend answers within the timeout and the namespace has this service's
 * search attributes (a NotReadyError naming them otherwise). The attributes are checked until they are
 * found once; after that, each probe is a single cheap call. A service that cannot list them (no operator
 * rights) is taken at its word.
 */
export function temporalReadiness(client: Client, options: { timeoutMs?: number } = {}): () => Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_READINESS_TIMEOUT_MS;
  const namespace = client.options.namespace;
  let attributesFound = false;
  return async () => {
    await client.connection.withDeadline(Date.now() + timeoutMs, async () => {
      if (attributesFound) {
        await client.workflowService.getSystemInfo({});
        return;
      }
      let problems: SearchAttributeProblem[] = [];
      try {
        problems = await searchAttributeProblems(client.connection.operatorService, namespace);
      } catch (err) {
        if (!cannotCheckSearchAttributes(err)) throw err;
      }
      if (problems.length > 0) {
        throw new NotReadyError(`search attributes missing: ${describeSearchAttributeProblems(problems)}`);
      }
      attributesFound = true;
    });
  };
}
