/** What each operator command does, against a connected Temporal client; each answers one JSON object. */
import type { Connection } from '@temporalio/client';
import type { VerificationClient } from '../client/verification-client';
import { type VerificationEvent, workflowIdFor } from '../contracts';
import { SEARCH_ATTRIBUTE_KEYS } from '../search-attributes';
import type { OpsCommand } from './ops-args';
import { apiKeyEntry } from './api-key-entry';
import { registerSearchAttributes } from './search-attribute-registration';

const QUERY_TIMEOUT_MS = 5_000;

export interface OpsDependencies {
  verifications: VerificationClient;
  operatorService: Connection['operatorService'];
  namespace: string;
  now?: () => Date;
}

export type OpsResult = Record<string, unknown>;

export async function runOpsCommand(command: OpsCommand, deps: OpsDependencies): Promise<OpsResult> {
  const { verifications } = deps;
  switch (command.name) {
    case 'state':
      return { command: command.name, ...(await describeVerification(verifications, command.beneficiaryId)) };
    case 'cancel':
      await verifications.cancel(command.beneficiaryId);
      return {
        command: command.name,
        beneficiaryId: command.beneficiaryId,
        workflowId: workflowIdFor(command.beneficiaryId),
        cancelRequested: true,
      };
    case 'reverify': {
      const before = await verifications
        .handle(command.beneficiaryId)
        .describe()
        .then((description) => description.status.name)
        .catch(() => null);
      const started = await verifications.start(command.beneficiaryId, { reverify: true });
      // With `result`, nothing was started: the last verification was APPROVED and stays so.
      const action = started.result
        ? 'already-approved'
        : before === 'RUNNING'
          ? 'joined-running'
          : 'started';
      return { command: command.name, beneficiaryId: command.beneficiaryId, action, ...started };
    }
    case 'deliver-event': {
      const event: VerificationEvent = {
        operation: command.outcome === 'approved' ? 'BENEFICIARY_APPROVED' : 'BENEFICIARY_FAILED',
        beneficiaryId: command.beneficiaryId,
        createdAt: (deps.now?.() ?? new Date()).toISOString(),
        success: command.outcome === 'approved',
        message: command.message,
      };
      const delivery = await verifications.deliverEvent(event);
      return { command: command.name, beneficiaryId: command.beneficiaryId, event, delivery };
    }
    case 'extend-deadline': {
      const { deadlineAt } = await verifications.extendDeadline(command.beneficiaryId, command.deadlineAt);
      return { command: command.name, beneficiaryId: command.beneficiaryId, deadlineAt };
    }
    case 'register-search-attributes':
      return {
        command: command.name,
        ...(await registerSearchAttributes(deps.operatorService, deps.namespace)),
      };
    case 'hash-api-key':
      // Needs no Temporal; src/ops/main.ts answers it before connecting.
      return { ...apiKeyEntry(null) };
  }
}

/**
 * What Temporal knows of the verification (status, search attributes, summary) and, when a worker answers
 * the query, the workflow's own view. A closed run with no worker running still describes.
 */
async function describeVerification(
  verifications: VerificationClient,
  beneficiaryId: string,
): Promise<OpsResult> {
  const handle = verifications.handle(beneficiaryId);
  const description = await handle.describe();
  const searchAttributes: Record<string, unknown> = {};
  for (const key of SEARCH_ATTRIBUTE_KEYS) {
    const value: unknown = description.typedSearchAttributes.get(key);
    if (value !== undefined) searchAttributes[key.name] = value instanceof Date ? value.toISOString() : value;
  }
  let state: unknown = null;
  let stateError: string | undefined;
  try {
    // A query waits for a worker to answer; without one it would hang until the server gives up.
    state = await verifications.client.connection.withDeadline(Date.now() + QUERY_TIMEOUT_MS, () =>
      verifications.getState(beneficiaryId),
    );
  } catch (err) {
    stateError = err instanceof Error ? err.message.split('\n')[0] : String(err);
  }
  return {
    beneficiaryId,
    workflowId: handle.workflowId,
    runId: description.runId,
    execution: description.status.name,
    startTime: description.startTime.toISOString(),
    closeTime: description.closeTime?.toISOString() ?? null,
    staticSummary: (await description.staticSummary()) ?? null,
    searchAttributes,
    state,
    ...(stateError !== undefined && { stateError }),
  };
}
