import { ApplicationFailure } from '@temporalio/common';
import { errorFields, withErrorFields } from '../../src/error-fields';
import { errorLine, namespaceFix } from '../../src/ops/error-line';

/** The failure a run ends with when Caliza refuses its create (as the workflow builds it). */
const refused = (): ApplicationFailure =>
  ApplicationFailure.create({
    message: 'Caliza refused the verification call: returned 404',
    type: 'beneficiary.not_found',
    nonRetryable: true,
    details: [
      { kind: 'REFUSED', retryAfterMs: null, status: 404, code: 'beneficiary.not_found', traceId: 't1' },
    ],
  });

describe('error lines and error log fields', () => {
  it("adds Caliza's code to a line whose messages do not name it", () => {
    const err = new Error('Workflow Update failed', { cause: refused() });
    expect(errorLine(err)).toBe(
      'Workflow Update failed: Caliza refused the verification call: returned 404 (Caliza code beneficiary.not_found)',
    );
  });

  it("names the fix for the Temporal server's own messages about a namespace set up without what runs need", () => {
    // The server's messages, as a cluster with the switches off answers (gRPC 7 PERMISSION_DENIED).
    expect(
      namespaceFix('7 PERMISSION_DENIED: ExecuteMultiOperation API is disabled on this namespace'),
    ).toMatch(/frontend\.enableExecuteMultiOperation=true/);
    expect(
      namespaceFix('7 PERMISSION_DENIED: UpdateWorkflowExecution operation is disabled on this namespace'),
    ).toMatch(/frontend\.enableUpdateWorkflowExecution=true/);
    expect(
      namespaceFix(
        '3 INVALID_ARGUMENT: Namespace default has no mapping defined for search attribute BeneficiaryId',
      ),
    ).toMatch(/npm run register-search-attributes/);
    expect(namespaceFix('14 UNAVAILABLE: connection refused')).toBeNull();
    expect(
      errorLine(new Error('7 PERMISSION_DENIED: ExecuteMultiOperation API is disabled on this namespace')),
    ).toMatch(/disabled on this namespace; fix: update-with-start is switched off/);
  });

  it('writes an error out as type, message and Caliza code, following its causes, instead of {}', () => {
    const err = new Error('Workflow failed', { cause: refused() });
    expect(JSON.parse(JSON.stringify(withErrorFields({ error: err, workflowId: 'w' })))).toEqual({
      workflowId: 'w',
      error: {
        name: 'Error',
        message: 'Workflow failed',
        calizaCode: 'beneficiary.not_found',
        cause: {
          name: 'ApplicationFailure',
          type: 'beneficiary.not_found',
          message: 'Caliza refused the verification call: returned 404',
          calizaCode: 'beneficiary.not_found',
        },
      },
    });
    // Errors from the workflow's context are plain objects with a message, not instances of this Error.
    expect(errorFields({ name: 'ApplicationFailure', message: 'x', type: 'T' })).toEqual({
      name: 'ApplicationFailure',
      message: 'x',
      type: 'T',
    });
    const meta = { attempt: 2 };
    expect(withErrorFields(meta)).toBe(meta);
  });
});
