import type { SearchAttributePair } from '@temporalio/common';
import { upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { REASON_EXPIRED, kindOf } from '../contracts';
import {
  beneficiaryIdKey,
  verificationDeadlineKey,
  verificationKindKey,
  verificationOutcomeKey,
  verificationStatusKey,
} from '../search-attributes';
import type { MachineState } from './verification-machine';

/** The search attribute values that describe `state`; unknown values are left out rather than cleared. */
export function searchAttributesOf(state: MachineState): SearchAttributePair[] {
  const pairs: SearchAttributePair[] = [
    { key: beneficiaryIdKey, value: state.beneficiaryId },
    { key: verificationStatusKey, value: state.session?.status ?? 'NOT_CREATED' },
    { key: verificationDeadlineKey, value: new Date(state.deadlineAt) },
  ];
  if (state.session) pairs.push({ key: verificationKindKey, value: kindOf(state.session.type) });
  if (state.outcome) {
    const outcome = state.outcome.reason === REASON_EXPIRED ? 'EXPIRED' : state.outcome.outcome;
    pairs.push({ key: verificationOutcomeKey, value: outcome });
  }
  return pairs;
}

/**
 * Upserts only the attributes whose value changed, so each change costs one history event. Starts from the
 * attributes the run already has (set by the starter, or carried over by continue-as-new).
 */
export class SearchAttributePublisher {
  private readonly published = new Map<string, string>();

  constructor() {
    for (const pair of workflowInfo().typedSearchAttributes.getAll()) {
      this.published.set(pair.key.name, comparable(pair.value));
    }
  }

  publish(state: MachineState): void {
    const changed = searchAttributesOf(state).filter(
      (pair) => this.published.get(pair.key.name) !== comparable(pair.value),
    );
    if (changed.length === 0) return;
    upsertSearchAttributes(changed);
    for (const pair of changed) this.published.set(pair.key.name, comparable(pair.value));
  }

  publishCancelled(): void {
    upsertSearchAttributes([{ key: verificationOutcomeKey, value: 'CANCELLED' }]);
  }
}

function comparable(value: unknown): string {
  return value instanceof Date ? value.toISOString() : JSON.stringify(value);
}
