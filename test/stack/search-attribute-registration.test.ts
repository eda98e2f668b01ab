import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client } from '@temporalio/client';
import pino from 'pino';
import { SearchAttributeType, defineSearchAttributeKey } from '@temporalio/common';
import { msToTs } from '@temporalio/common/lib/time';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { searchAttributeProblems } from '../../src/search-attribute-check';
import { SEARCH_ATTRIBUTE_KEYS } from '../../src/search-attributes';
import { startWebhookReceiver, temporalReadiness } from '../../src/webhooks';
import { RecordingDelivery, send } from '../webhooks/support';
import { workflowBundle } from '../support/temporal';
import {
  SearchAttributeRegistrationError,
  registerSearchAttributes,
} from '../../src/ops/search-attribute-registration';
import { connectToDevServer } from '../support/temporal';
import { eventually } from './support';

const run = promisify(execFile);
const NAMES = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);

describe('registering the search attributes through the operator service', () => {
  let temporal: Awaited<ReturnType<typeof connectToDevServer>>;

  beforeAll(async () => {
    temporal = await connectToDevServer();
  });

  afterAll(async () => {
    await temporal?.close();
  });

  /** A namespace of its own, which the dev server's command line registered nothing on. */
  async function freshNamespace(): Promise<string> {
    const namespace = `sa-${randomUUID().slice(0, 8)}`;
    await temporal.client.workflowService.registerNamespace({
      namespace,
      workflowExecutionRetentionPeriod: msToTs('1 day'),
    });
    await eventually(
      () => temporal.client.workflowService.describeNamespace({ namespace }).then(() => true),
      `namespace ${namespace}`,
    );
    return namespace;
  }

  it('adds the missing attributes once, then finds them present', async () => {
    const namespace = await freshNamespace();
    const names = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);
    const operator = temporal.client.connection.operatorService;
    expect(await registerSearchAttributes(operator, namespace)).toEqual({
      namespace,
      added: names,
      present: [],
    });
    const listed = await operator.listSearchAttributes({ namespace });
    expect(Object.keys(listed.customAttributes ?? {})).toEqual(expect.arrayContaining(names));
    expect(await registerSearchAttributes(operator, namespace)).toEqual({
      namespace,
      added: [],
      present: names,
    });
  });

  it('refuses to touch an attribute registered with another type', async () => {
    const namespace = await freshNamespace();
    const operator = temporal.client.connection.operatorService;
    await registerSearchAttributes(operator, namespace, [
      defineSearchAttributeKey('BeneficiaryId', SearchAttributeType.INT),
    ]);
    const failure = registerSearchAttributes(operator, namespace);
    await expect(failure).rejects.toThrow(SearchAttributeRegistrationError);
    await expect(failure).rejects.toThrow(/BeneficiaryId is registered .* with another type/);
  });

  it("says which attributes hold a type's columns when the namespace has no room left, and adds none", async () => {
    const namespace = await freshNamespace();
    const operator = temporal.client.connection.operatorService;
    // SQL visibility (the dev server's SQLite and the cluster's PostgreSQL) has 10 Keyword columns per
    // namespace: with 7 taken, the 4 this service needs do not fit.
    const others = Array.from({ length: 7 }, (_, i) => `OtherKeyword${i}`);
    await registerSearchAttributes(
      operator,
      namespace,
      others.map((name) => defineSearchAttributeKey(name, SearchAttributeType.KEYWORD)),
    );
    const failure = registerSearchAttributes(operator, namespace);
    await expect(failure).rejects.toThrow(SearchAttributeRegistrationError);
    await expect(failure).rejects.toThrow(
      `namespace ${namespace} has no room for BeneficiaryId, VerificationKind, VerificationStatus, ` +
        `VerificationOutcome: it allows 10 Keyword search attributes and 7 are registered ` +
        `(${others.join(', ')}); remove unused ones with ` +
        `\`temporal operator search-attribute remove -n ${namespace} --name <name>\` or use another namespace`,
    );
    const listed = await operator.listSearchAttributes({ namespace });
    expect(Object.keys(listed.customAttributes ?? {}).sort()).toEqual(others);
  });

  it('finds every attribute missing in a fresh namespace, and none once registered', async () => {
    const namespace = await freshNamespace();
    const operator = temporal.client.connection.operatorService;
    const missing = await searchAttributeProblems(operator, namespace);
    expect(missing.map((problem) => [problem.name, problem.registered])).toEqual(
      NAMES.map((name) => [name, null]),
    );
    await registerSearchAttributes(operator, namespace);
    expect(await searchAttributeProblems(operator, namespace)).toEqual([]);
  });

  it('finds an attribute registered with another type', async () => {
    const namespace = await freshNamespace();
    const operator = temporal.client.connection.operatorService;
    await registerSearchAttributes(operator, namespace, [
      defineSearchAttributeKey('VerificationDeadline', SearchAttributeType.KEYWORD),
    ]);
    const problems = await searchAttributeProblems(operator, namespace);
    expect(problems).toContainEqual({
      name: 'VerificationDeadline',
      expected: SearchAttributeType.DATETIME,
      registered: SearchAttributeType.KEYWORD,
    });
  });

  it('has the worker refuse to start, in one line naming them and the fix, when they are missing', async () => {
    const namespace = await freshNamespace();
    const began = Date.now();
    const failure = await run(
      process.execPath,
      [path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'), 'src/worker.ts'],
      {
        cwd: PROJECT_ROOT,
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS,
          TEMPORAL_NAMESPACE: namespace,
          TEMPORAL_TASK_QUEUE: `sa-${namespace}`,
          WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
          CALIZA_API_BASE_URL: 'http://127.0.0.1:9/core-api',
          CALIZA_TOKEN_URL: 'http://127.0.0.1:9/token',
          CALIZA_CLIENT_ID: 'client',
          CALIZA_CLIENT_SECRET: 'secret',
          CALIZA_USERNAME: 'user',
          CALIZA_PASSWORD: 'password',
        },
      },
    ).catch((err: { code: number | null; killed: boolean; stderr: string; stdout: string }) => err);
    expect(failure).toMatchObject({ code: 1, killed: false });
    const { stderr, stdout } = failure as { stderr: string; stdout: string };
    expect(stdout).not.toContain('worker started');
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toBe(
      `search attributes missing in namespace ${namespace}: ${NAMES.join(', ')}; ` +
        'run `npm run register-search-attributes` with the same Temporal settings, then start again',
    );
    expect(Date.now() - began).toBeLessThan(30_000);
  });

  it("has the receiver's /readyz say which are missing, and stop asking once they are there", async () => {
    const namespace = await freshNamespace();
    const client = new Client({ connection: temporal.client.connection, namespace });
    const operator = temporal.client.connection.operatorService;
    const listed = jest.spyOn(operator, 'listSearchAttributes');
    const receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secrets: ['whsec_readiness'],
      delivery: new RecordingDelivery(),
      readiness: temporalReadiness(client),
      logger: pino({ level: 'silent' }),
    });
    try {
      const probe = async () => {
        const { status, json } = await send(`${receiver.baseUrl}/readyz`, { method: 'GET' });
        return { status, json };
      };
      expect(await probe()).toEqual({
        status: 503,
        json: { status: 'not_ready', reason: `search attributes missing: ${NAMES.join(', ')}` },
      });
      await registerSearchAttributes(operator, namespace);
      expect(await probe()).toEqual({ status: 200, json: { status: 'ready' } });
      const callsWhenReady = listed.mock.calls.length;
      for (let i = 0; i < 3; i += 1) expect((await probe()).status).toBe(200);
      expect(listed.mock.calls.length).toBe(callsWhenReady);
    } finally {
      listed.mockRestore();
      await receiver.close();
    }
  });
});
