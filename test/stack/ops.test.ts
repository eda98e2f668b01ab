import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { decideOnHostedPage } from '../../dev/demo/hosted-page';
import { SandboxAdmin } from '../../dev/demo/sandbox-admin';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import type { RunningStack } from '../../dev/stack';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { OpsUsageError, parseOpsArgs } from '../../src/ops/ops-args';
import { errorLine } from '../../src/ops/error-line';
import { type OpsResult, runOpsCommand } from '../../src/ops/ops-commands';
import { verificationOutcomeKey } from '../../src/search-attributes';
import { eventually, sandboxOf, startTestStack } from './support';

const run = promisify(execFile);

describe('parsing the operator command line', () => {
  it.each([
    [['state', 'b-1'], { name: 'state', beneficiaryId: 'b-1' }],
    [['cancel', 'b-1'], { name: 'cancel', beneficiaryId: 'b-1' }],
    [['reverify', 'b-1'], { name: 'reverify', beneficiaryId: 'b-1' }],
    [
      ['deliver-event', 'b-1', 'failed', '--message', 'Document expired'],
      { name: 'deliver-event', beneficiaryId: 'b-1', outcome: 'failed', message: 'Document expired' },
    ],
    [
      ['deliver-event', 'b-1', 'approved'],
      { name: 'deliver-event', beneficiaryId: 'b-1', outcome: 'approved', message: null },
    ],
    [
      ['extend-deadline', 'b-1', '2030-01-31T12:00:00Z'],
      { name: 'extend-deadline', beneficiaryId: 'b-1', deadlineAt: new Date('2030-01-31T12:00:00Z') },
    ],
    [['register-search-attributes'], { name: 'register-search-attributes' }],
  ])('%j', (argv, expected) => {
    expect(parseOpsArgs(argv)).toEqual(expected);
  });

  it.each([
    [[], /a command is required/],
    [['frobnicate', 'b-1'], /unknown command "frobnicate"/],
    [['state'], /state takes one argument/],
    [['state', 'a b'], /beneficiaryId must be/],
    [['cancel', 'b-1', 'extra'], /cancel takes one argument/],
    [['deliver-event', 'b-1', 'maybe'], /approved or failed/],
    [['deliver-event', 'b-1', 'approved', '--message', ''], /--message must be 1 to 500 characters/],
    [['state', 'b-1', '--message', 'x'], /--message is only for deliver-event/],
    [['extend-deadline', 'b-1', 'tomorrow'], /ISO 8601 time with a zone/],
    [['extend-deadline', 'b-1', '2030-01-31T12:00:00'], /ISO 8601 time with a zone/],
    [['extend-deadline', 'b-1', '2030-02-31T12:00:00Z'], /ISO 8601 time with a zone/],
    [['register-search-attributes', 'default'], /takes no arguments/],
    [['state', 'b-1', '--bogus'], /Unknown option '--bogus'/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseOpsArgs(argv)).toThrow(OpsUsageError);
    expect(() => parseOpsArgs(argv)).toThrow(message);
  });
});

describe('operator commands on a running service', () => {
  let stack: RunningStack;
  const ops = (argv: string[]): Promise<OpsResult> =>
    runOpsCommand(parseOpsArgs(argv), {
      verifications: stack.verifications,
      operatorService: stack.client.connection.operatorService,
      namespace: stack.temporal.namespace,
    });
  const newBeneficiary = async (name: string) =>
    (await stack.caliza.client.createBeneficiary(sampleIndividual(`ops-${name}`))).id;

  beforeAll(async () => {
    stack = await startTestStack();
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('state: the run, its search attributes, its summary and the workflow’s own view', async () => {
    const id = await newBeneficiary('state');
    await stack.verifications.start(id);
    const state = await ops(['state', id]);
    expect(state).toMatchObject({
      command: 'state',
      beneficiaryId: id,
      workflowId: `kyc-beneficiary-${id}`,
      execution: 'RUNNING',
      closeTime: null,
      staticSummary: `KYC/KYB verification of beneficiary ${id}`,
      searchAttributes: { BeneficiaryId: id, VerificationStatus: 'PENDING', VerificationKind: 'KYC' },
      state: { beneficiaryId: id, status: 'PENDING', outcome: null },
    });
    expect(JSON.parse(JSON.stringify(state))).toEqual(state);
  });

  it('extend-deadline moves the deadline later, and the workflow refuses an earlier one', async () => {
    const id = await newBeneficiary('deadline');
    await stack.verifications.start(id);
    const later = new Date(Date.now() + 90 * 24 * 3600_000);
    expect(await ops(['extend-deadline', id, later.toISOString()])).toEqual({
      command: 'extend-deadline',
      beneficiaryId: id,
      deadlineAt: later.toISOString(),
    });
    const description = await stack.verifications.handle(id).describe();
    expect(description.typedSearchAttributes.get(verificationOutcomeKey)).toBeUndefined();
    const refused = await ops(['extend-deadline', id, '2020-01-01T00:00:00Z']).catch((err: unknown) => err);
    expect(errorLine(refused)).toMatch(
      /^Workflow Update failed: deadlineAt must be later than the current deadline/,
    );
  });

  it('deliver-event hands an event to the workflow, which decides once Caliza agrees', async () => {
    const id = await newBeneficiary('deliver');
    const started = await stack.verifications.start(id);
    // Caliza's own webhook is dropped: the event delivered by hand is the only one.
    const admin = new SandboxAdmin(sandboxOf(stack).url);
    await admin.patchFaults({ webhooks: { dropShare: 1 } });
    try {
      await decideOnHostedPage(started.verificationUrl as string, 'reject');
      await eventually(
        async () =>
          (await admin.deliveries(id)).some((entry) => entry.result === 'dropped') ? true : undefined,
        'the dropped webhook',
      );
    } finally {
      await admin.patchFaults({ webhooks: { dropShare: 0 } });
    }
    const delivered = await ops(['deliver-event', id, 'failed', '--message', 'Selfie did not match']);
    expect(delivered).toMatchObject({
      command: 'deliver-event',
      delivery: 'ACCEPTED',
      event: {
        operation: 'BENEFICIARY_FAILED',
        beneficiaryId: id,
        success: false,
        message: 'Selfie did not match',
      },
    });
    expect(await stack.verifications.result(id)).toMatchObject({
      outcome: 'FAILED',
      decidedBy: 'WEBHOOK',
      reason: 'Selfie did not match',
    });
    expect(await ops(['deliver-event', id, 'failed'])).toMatchObject({ delivery: 'ALREADY_ENDED' });
  });

  it('reverify starts a new run after a FAILED one; cancel ends a running one as CANCELLED', async () => {
    const id = await newBeneficiary('reverify');
    const first = await stack.verifications.start(id, { deadlineMs: 500 });
    expect(await stack.verifications.result(id)).toMatchObject({ outcome: 'FAILED', reason: 'EXPIRED' });
    const again = await ops(['reverify', id]);
    expect(again).toMatchObject({ command: 'reverify', action: 'started', status: 'PENDING' });
    expect(await ops(['reverify', id])).toMatchObject({ action: 'joined-running', runId: again.runId });
    expect(again.runId).not.toBe(first.runId);

    expect(await ops(['cancel', id])).toEqual({
      command: 'cancel',
      beneficiaryId: id,
      workflowId: `kyc-beneficiary-${id}`,
      cancelRequested: true,
    });
    const state = await eventually(async () => {
      const answer = await ops(['state', id]);
      return answer.execution === 'CANCELLED' ? answer : undefined;
    }, 'the run to be cancelled');
    expect(state.searchAttributes).toMatchObject({ VerificationOutcome: 'CANCELLED' });
  });

  it('register-search-attributes finds every attribute already there', async () => {
    expect(await ops(['register-search-attributes'])).toEqual({
      command: 'register-search-attributes',
      namespace: 'default',
      added: [],
      present: [
        'BeneficiaryId',
        'VerificationKind',
        'VerificationStatus',
        'VerificationOutcome',
        'VerificationDeadline',
      ],
    });
  });

  describe('the command itself', () => {
    const cli = (args: string[]) =>
      run(
        process.execPath,
        [path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/ops/main.ts', ...args],
        {
          cwd: PROJECT_ROOT,
          env: {
            ...process.env,
            TEMPORAL_ADDRESS: stack.temporal.address,
            TEMPORAL_TASK_QUEUE: stack.taskQueue,
          },
        },
      );

    it('prints one JSON line', async () => {
      const id = await newBeneficiary('cli');
      await stack.verifications.start(id);
      const { stdout } = await cli(['state', id]);
      expect(stdout.endsWith('\n')).toBe(true);
      expect(stdout.trim().split('\n')).toHaveLength(1);
      expect(JSON.parse(stdout)).toMatchObject({ command: 'state', beneficiaryId: id, execution: 'RUNNING' });
    });

    it('exits 2 with one error line on bad input, and 1 when the command fails', async () => {
      const bad = (await cli(['extend-deadline', 'b-1', 'soon']).catch((err: unknown) => err)) as {
        code: number;
        stderr: string;
        stdout: string;
      };
      expect(bad.code).toBe(2);
      expect(bad.stdout).toBe('');
      expect(bad.stderr.trim().split('\n')).toHaveLength(1);
      expect(bad.stderr).toMatch(/^error: extend-deadline needs an ISO 8601 time/);

      const failed = (await cli(['cancel', 'no-such-beneficiary']).catch((err: unknown) => err)) as {
        code: number;
        stderr: string;
      };
      expect(failed.code).toBe(1);
      expect(failed.stderr.trim().split('\n')).toHaveLength(1);
      expect(failed.stderr).toMatch(/^error: .*not found/i);
    });
  });
});
