import { Context, log } from '@temporalio/activity';
import type { BeneficiaryStatusRead, VerificationActivities, VerificationSession } from '../contracts';
import { beneficiaryIdProblem, isUsableBeneficiaryId } from '../caliza/beneficiary-id';
import type { CalizaCallOptions, CalizaClient } from '../caliza/client';
import { CalizaInvalidIdError } from '../caliza/errors';
import { toApplicationFailure, type CalizaFailureDetails } from './caliza-failures';

/** What the activities need from the client; a CalizaClient fits, and so does a test double. */
export type VerificationSessionApi = Pick<
  CalizaClient,
  'createVerification' | 'getVerification' | 'getBeneficiary'
>;

export interface ActivityDependencies {
  caliza: VerificationSessionApi;
}

/** The same rule as the client's, checked first so that nothing is logged as a Caliza call. */
function requireBeneficiaryId(beneficiaryId: unknown): string {
  if (isUsableBeneficiaryId(beneficiaryId)) return beneficiaryId;
  const problem = beneficiaryIdProblem(beneficiaryId) ?? 'is not usable';
  throw toApplicationFailure(new CalizaInvalidIdError('beneficiaryId', problem));
}

/** The session fields worth a log line; the verification URL is left out as it lets anyone start the flow. */
function sessionLogFields(session: VerificationSession): Record<string, unknown> {
  return { sessionId: session.id, status: session.status, type: session.type };
}

async function callCaliza<T>(
  operation: string,
  beneficiaryId: unknown,
  call: (beneficiaryId: string, options: CalizaCallOptions) => Promise<T>,
  logFields: (answer: T) => Record<string, unknown>,
): Promise<T> {
  const id = requireBeneficiaryId(beneficiaryId);
  // Cancellation (the workflow cancelled, the worker shutting down) aborts the HTTP call in flight.
  const { cancellationSignal, info, metricMeter } = Context.current();
  if (info.attempt > 1) {
    // Through the activity's metric meter, which labels it with the activity type, next to the SDK's metrics.
    metricMeter
      .createCounter('caliza_activity_retries', 'attempts', 'Caliza activity attempts after the first')
      .add(1);
  }
  try {
    const answer = await call(id, { signal: cancellationSignal });
    log.info(`Caliza ${operation} succeeded`, { beneficiaryId: id, ...logFields(answer) });
    return answer;
  } catch (error) {
    if (cancellationSignal.aborted) {
      // Whatever the call ended with, the activity was cancelled: report that, not a Caliza failure.
      log.info(`Caliza ${operation} cancelled`, { beneficiaryId: id });
      throw cancellationSignal.reason;
    }
    const failure = toApplicationFailure(error);
    const first: unknown = failure.details?.[0];
    // Failures that did not come from Caliza (bad input, bugs) carry no such details.
    const details: Partial<CalizaFailureDetails> =
      typeof first === 'object' && first !== null ? (first as Partial<CalizaFailureDetails>) : {};
    log.warn(`Caliza ${operation} failed`, {
      beneficiaryId: id,
      failureType: failure.type,
      retryable: failure.nonRetryable !== true,
      kind: details.kind ?? null,
      retryAfterMs: details.retryAfterMs ?? null,
      status: details.status ?? null,
      code: details.code ?? null,
      traceId: details.traceId ?? null,
    });
    throw failure;
  }
}

/** Activities built around an injected client, so the worker shares one client (and one token) across them. */
export function createActivities(deps: ActivityDependencies): VerificationActivities {
  const sessionCall =
    (operation: string, call: (id: string, options: CalizaCallOptions) => Promise<VerificationSession>) =>
    (beneficiaryId: string): Promise<VerificationSession> =>
      callCaliza(operation, beneficiaryId, call, sessionLogFields);
  return {
    /** Creates the beneficiary's interactive session, or returns its existing PENDING one (Caliza's rule). */
    createVerificationSession: sessionCall('create verification session', (id, options) =>
      deps.caliza.createVerification(id, options),
    ),
    /** Reads the beneficiary's current session (polling and webhook confirmation). */
    readVerificationSession: sessionCall('read verification session', (id, options) =>
      deps.caliza.getVerification(id, options),
    ),
    /** Reads the beneficiary for the status and reason of a FAILED verification; only those leave here. */
    async readBeneficiaryStatus(beneficiaryId: string): Promise<BeneficiaryStatusRead> {
      return callCaliza(
        'read beneficiary',
        beneficiaryId,
        async (id, options) => {
          const beneficiary = await deps.caliza.getBeneficiary(id, options);
          return { status: beneficiary.status, reason: beneficiary.rejectionReason };
        },
        // The reason goes to the result, not to the log: it may describe the person.
        (read) => ({ beneficiaryStatus: read.status, hasReason: read.reason !== null }),
      );
    },
  };
}

export type { VerificationActivities };
