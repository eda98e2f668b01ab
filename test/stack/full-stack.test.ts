import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { CalizaClient } from '../../src/caliza';
import { decideOnHostedPage } from '../../dev/demo/hosted-page';
import { SandboxAdmin } from '../../dev/demo/sandbox-admin';
import { freePort } from '../../dev/free-port';
import { sampleBusiness, sampleIndividual } from '../../dev/sample-beneficiaries';
import type { RunningStack } from '../../dev/stack';
import { type SandboxHandle, startSandbox } from '../../caliza-double';
import {
  SEARCH_ATTRIBUTE_KEYS,
  verificationKindKey,
  verificationOutcomeKey,
  verificationStatusKey,
} from '../../src/search-attributes';
import { calizaConfigFor, eventually, sandboxOf, startTestStack } from './support';

const fastPolling = { initialIntervalMs: 300, multiplier: 1.5, maxIntervalMs: 1_000 };

describe('the full stack started in-process', () => {
  let stack: RunningStack;
  let caliza: CalizaClient;
  let admin: SandboxAdmin;

  beforeAll(async () => {
    stack = await startTestStack();
    caliza = stack.caliza.client;
    admin = new SandboxAdmin(sandboxOf(stack).url);
  });

  afterAll(async () => {
    await stack?.stop();
  });

  it('registers the receiver at the double, verifies with its secret, and registers the search attributes', async () => {
    const integrator = await caliza.getIntegrator();
    expect(stack.caliza.integratorId).toBe(integrator.id);
    expect(await caliza.getWebhookUrl(integrator.id)).toBe(stack.webhooks.url);
    expect(stack.caliza.webhookUrl).toBe(stack.webhooks.url);

    const ready = await fetch(`${stack.webhooks.baseUrl}/readyz`);
    expect(ready.status).toBe(200);

    const { customAttributes } = await stack.client.connection.operatorService.listSearchAttributes({
      namespace: stack.temporal.namespace,
    });
    expect(Object.keys(customAttributes ?? {})).toEqual(
      expect.arrayContaining(SEARCH_ATTRIBUTE_KEYS.map((key) => key.name)),
    );
    expect(stack.temporal.uiUrl).toBeNull();
  });

  it('brings each verification to its outcome: webhook approve, webhook reject, polling, deadline', async () => {
    const create = async (name: string, business = false) =>
      (
        await caliza.createBeneficiary(
          business ? sampleBusiness(`stack-${name}`) : sampleIndividual(`stack-${name}`),
        )
      ).id;
    const [approvedId, rejectedId, droppedId, expiringId] = await Promise.all([
      create('approved'),
      create('rejected', true),
      create('dropped'),
      create('expiring'),
    ]);
    const ids = { approvedId, rejectedId, droppedId, expiringId } as Record<string, string>;
    const [approved, rejected, dropped] = await Promise.all([
      stack.verifications.start(ids.approvedId as string),
      stack.verifications.start(ids.rejectedId as string),
      stack.verifications.start(ids.droppedId as string, { polling: fastPolling }),
      stack.verifications.start(ids.expiringId as string, { deadlineMs: 3_000 }),
    ]);

    // Webhook faults hit every event: drop only this one's, with nothing else being decided meanwhile.
    await admin.patchFaults({ webhooks: { dropShare: 1 } });
    try {
      await decideOnHostedPage(dropped?.verificationUrl as string, 'approve');
      await eventually(
        async () =>
          (await admin.deliveries(ids.droppedId as string)).some((entry) => entry.result === 'dropped')
            ? true
            : undefined,
        'the dropped webhook',
      );
    } finally {
      await admin.patchFaults({ webhooks: { dropShare: 0 } });
    }
    await decideOnHostedPage(approved?.verificationUrl as string, 'approve');
    await decideOnHostedPage(rejected?.verificationUrl as string, 'reject', 'Document expired');

    const results = await Promise.all(
      [ids.approvedId, ids.rejectedId, ids.droppedId, ids.expiringId].map((id) =>
        stack.verifications.result(id as string),
      ),
    );
    expect(results).toEqual([
      expect.objectContaining({ outcome: 'APPROVED', decidedBy: 'WEBHOOK', kind: 'KYC' }),
      expect.objectContaining({
        outcome: 'FAILED',
        decidedBy: 'WEBHOOK',
        kind: 'KYB',
        reason: 'Document expired',
      }),
      expect.objectContaining({ outcome: 'APPROVED', decidedBy: 'POLL', kind: 'KYC' }),
      expect.objectContaining({ outcome: 'FAILED', decidedBy: 'DEADLINE', reason: 'EXPIRED' }),
    ]);

    const attributes = async (id: string) => {
      const description = await stack.verifications.handle(id).describe();
      return {
        outcome: description.typedSearchAttributes.get(verificationOutcomeKey),
        status: description.typedSearchAttributes.get(verificationStatusKey),
        kind: description.typedSearchAttributes.get(verificationKindKey),
      };
    };
    expect(await attributes(ids.approvedId as string)).toEqual({
      outcome: 'APPROVED',
      status: 'SUCCEEDED',
      kind: 'KYC',
    });
    expect(await attributes(ids.rejectedId as string)).toEqual({
      outcome: 'FAILED',
      status: 'FAILED',
      kind: 'KYB',
    });
    expect(await attributes(ids.droppedId as string)).toEqual({
      outcome: 'APPROVED',
      status: 'SUCCEEDED',
      kind: 'KYC',
    });
    expect(await attributes(ids.expiringId as string)).toEqual({
      outcome: 'EXPIRED',
      status: 'PENDING',
      kind: 'KYC',
    });

    // What an operator's list query finds.
    const expired = await eventually(async () => {
      const found: string[] = [];
      for await (const run of stack.client.workflow.list({
        query: `VerificationOutcome="EXPIRED" AND BeneficiaryId="${ids.expiringId}"`,
      })) {
        found.push(run.workflowId);
      }
      return found.length > 0 ? found : undefined;
    }, 'the expired run in the visibility store');
    expect(expired).toEqual([`kyc-beneficiary-${ids.expiringId}`]);
  });
});

describe('a restart of the whole stack, with the dev server’s data in a SQLite file', () => {
  let sandbox: SandboxHandle;
  let dataDir: string;
  const stacks: RunningStack[] = [];

  beforeAll(async () => {
    // Outside the stacks, so that Caliza's state outlives them as the real Caliza would.
    sandbox = await startSandbox({
      processingDelayMs: 100,
      webhooks: { maxAttempts: 20, baseDelayMs: 200, maxDelayMs: 1_000 },
    });
    dataDir = mkdtempSync(path.join(os.tmpdir(), 'caliza-kyc-restart-'));
  });

  afterAll(async () => {
    for (const stack of stacks) await stack.stop();
    await sandbox?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('finishes a verification that was pending when the service stopped', async () => {
    const [temporalPort, webhookPort] = [await freePort(), await freePort()];
    const start = async () => {
      const stack = await startTestStack({
        temporal: {
          kind: 'dev-server',
          port: temporalPort,
          dbFilename: path.join(dataDir, 'temporal.sqlite'),
        },
        caliza: { kind: 'configured', config: calizaConfigFor(sandbox), registerWebhookUrl: true },
        webhooks: { port: webhookPort },
        taskQueue: 'restart-test',
      });
      stacks.push(stack);
      return stack;
    };

    const first = await start();
    const beneficiary = await first.caliza.client.createBeneficiary(sampleIndividual('stack-restart'));
    const started = await first.verifications.start(beneficiary.id);
    expect(started.status).toBe('PENDING');
    await first.stop();

    // Decided while nothing listens: the double retries its webhook until the restarted receiver takes it.
    await decideOnHostedPage(started.verificationUrl as string, 'approve');
    const second = await start();
    const result = await second.verifications.result(beneficiary.id);
    expect(result).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
    const description = await second.verifications.handle(beneficiary.id).describe();
    expect(description.runId).toBe(started.runId);
    expect(description.typedSearchAttributes.get(verificationOutcomeKey)).toBe('APPROVED');
  });
});
