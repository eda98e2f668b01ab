import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import type { Worker } from '@temporalio/worker';
import pino from 'pino';
import { VerificationClient } from '../../src/client/verification-client';
import type { DeliveryLogEntry } from '../../caliza-double/delivery-log';
import {
  type RunningWebhookReceiver,
  startWebhookReceiver,
  temporalEventDelivery,
  temporalReadiness,
} from '../../src/webhooks';
import { startHarness, type Harness } from '../caliza-double/support';
import { runEvents } from '../support/history';
import { ScriptedCaliza } from '../support/scripted-activities';
import { connectToDevServer, createTestWorker, uniqueTaskQueue } from '../support/temporal';
import { envelopeBody, eventually, postSigned, sample, send } from './support';

const SECRET = 'whsec_current_temporal_tests';
const PREVIOUS = 'whsec_previous_temporal_tests';
const ROTATED_OUT = 'whsec_retired_temporal_tests';

/** Beneficiary ids unique to this run: the dev server is shared by every test file. */
const newId = (label: string) => `wh-${label}-${randomUUID().slice(0, 8)}`;

describe('webhook receiver → Temporal (dev server)', () => {
  let temporal: Awaited<ReturnType<typeof connectToDevServer>>;
  let client: Client;
  let worker: Worker;
  let workerRun: Promise<void>;
  let verification: VerificationClient;
  let receiver: RunningWebhookReceiver;
  let secrets: string[] = [SECRET, PREVIOUS];
  const caliza = new ScriptedCaliza();

  beforeAll(async () => {
    temporal = await connectToDevServer();
    client = temporal.client;
    const taskQueue = uniqueTaskQueue('webhooks');
    worker = await createTestWorker(temporal.nativeConnection, { taskQueue, activities: caliza.activities });
    workerRun = worker.run();
    verification = new VerificationClient(client, { taskQueue });
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secrets: () => secrets,
      delivery: temporalEventDelivery(verification),
      readiness: temporalReadiness(client),
      logger: pino({ level: 'silent' }),
    });
  });
  afterAll(async () => {
    await receiver?.close();
    worker?.shutdown();
    await workerRun;
    await temporal?.close();
  });
  beforeEach(() => {
    secrets = [SECRET, PREVIOUS];
  });

  const approve = (beneficiaryId: string, createdAt = '2026-01-01T00:05:00.000001') =>
    envelopeBody({ beneficiaryId, createdAt });
  const fail = (beneficiaryId: string, message: string | null = 'Document expired') =>
    envelopeBody({
      operation: 'BENEFICIARY_FAILED',
      beneficiaryId,
      createdAt: '2026-01-01T00:06:00.000001',
      success: false,
      message,
    });

  it('approves a running verification on a signed BENEFICIARY_APPROVED', async () => {
    const id = newId('approve');
    caliza.script(id, 'SUCCEEDED');
    const started = await verification.start(id);
    expect(started.status).toBe('PENDING');

    const body = approve(id);
    expect(await postSigned(receiver.url, body, SECRET)).toMatchObject({
      status: 200,
      json: { status: 'accepted' },
    });
    const result = await verification.result(id);
    expect(result).toMatchObject({ beneficiaryId: id, outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
    expect(caliza.count('create', id)).toBe(1);
    const state = await verification.getState(id);
    expect(state.lastEvent).toMatchObject({ operation: 'BENEFICIARY_APPROVED', confirmed: true });
  });

  it('fails a running verification on a signed BENEFICIARY_FAILED, with Caliza’s message', async () => {
    const id = newId('fail');
    caliza.script(id, 'FAILED');
    await verification.start(id);
    expect((await postSigned(receiver.url, fail(id), SECRET)).status).toBe(200);
    expect(await verification.result(id)).toMatchObject({
      outcome: 'FAILED',
      reason: 'Document expired',
      decidedBy: 'WEBHOOK',
    });
  });

  it('leaves the workflow untouched on a missing, wrong or rotated-out signature, and takes the previous secret', async () => {
    const id = newId('unsigned');
    caliza.script(id, 'SUCCEEDED');
    await verification.start(id);
    const body = approve(id);
    const missing = await send(receiver.url, { body, headers: { 'content-type': 'application/json' } });
    const wrong = await postSigned(receiver.url, body, 'whsec_guess');
    const rotatedOut = await postSigned(receiver.url, body, ROTATED_OUT);
    expect([missing.status, wrong.status, rotatedOut.status]).toEqual([401, 401, 401]);

    const state = await verification.getState(id);
    expect(state).toMatchObject({ status: 'PENDING', lastEvent: null, outcome: null, duplicateEvents: 0 });
    expect((await verification.handle(id).describe()).status.name).toBe('RUNNING');
    expect(caliza.count('read', id)).toBe(0);

    expect((await postSigned(receiver.url, body, PREVIOUS)).status).toBe(200);
    expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
  });

  it('records the outcome for a beneficiary with no verification, without creating a session; a late event then changes nothing', async () => {
    const id = newId('record');
    caliza.seed(id, 'SUCCEEDED');
    expect(await postSigned(receiver.url, approve(id), SECRET)).toMatchObject({
      status: 200,
      json: { status: 'accepted' },
    });
    expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
    expect((await verification.getState(id)).mode).toBe('RECORD_OUTCOME');
    expect(caliza.count('create', id)).toBe(0);

    const runId = (await verification.handle(id).describe()).runId;
    expect(await postSigned(receiver.url, fail(id), SECRET)).toMatchObject({
      status: 200,
      json: { status: 'already_ended' },
    });
    const after = await verification.handle(id).describe();
    expect(after.runId).toBe(runId);
    expect(after.status.name).toBe('COMPLETED');
    expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED' });
  });

  it('signals a duplicate delivery once: both answered 200, one outcome, the duplicate counted by the receiver', async () => {
    const id = newId('duplicate');
    caliza.script(id, 'SUCCEEDED');
    // The session is slow to create, so both deliveries reach the run before it can decide.
    caliza.createDelayMs = 800;
    try {
      await client.workflow.start('verifyBeneficiary', {
        workflowId: `kyc-beneficiary-${id}`,
        taskQueue: verification.taskQueue,
        args: [{ beneficiaryId: id }],
      });
      const body = approve(id);
      const answers = [
        await postSigned(receiver.url, body, SECRET),
        await postSigned(receiver.url, body, SECRET),
      ];
      expect(answers.map((answer) => answer.json)).toEqual([{ status: 'accepted' }, { status: 'duplicate' }]);
      expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
      expect((await verification.getState(id)).duplicateEvents).toBe(0);
      const metrics = (await send(`${receiver.baseUrl}/metrics`, { method: 'GET' })).text;
      expect(sample(metrics, 'caliza_webhook_duplicate_deliveries_total')).toBeGreaterThanOrEqual(1);
    } finally {
      caliza.createDelayMs = 0;
    }
  });

  it('lets 300 copies of one signed delivery reach the running verification as one signal', async () => {
    const id = newId('replayed');
    caliza.script(id, 'PENDING');
    await verification.start(id);
    const body = approve(id);
    const answers: number[] = [];
    // In waves of 50 at once: copies that arrive together and copies that arrive after the first was accepted.
    for (let wave = 0; wave < 6; wave += 1) {
      const sent = await Promise.all(
        Array.from({ length: 50 }, () => postSigned(receiver.url, body, SECRET)),
      );
      answers.push(...sent.map((answer) => answer.status));
    }
    expect(answers).toEqual(Array(300).fill(200));
    const events = await runEvents(client, `kyc-beneficiary-${id}`);
    const signals = events.filter((event) => event.workflowExecutionSignaledEventAttributes).length;
    expect(signals).toBe(1);
    const state = await verification.getState(id);
    expect(state).toMatchObject({
      outcome: null,
      duplicateEvents: 0,
      lastEvent: { operation: 'BENEFICIARY_APPROVED' },
    });
    await verification.cancel(id);
  });

  it('is ready while Temporal answers', async () => {
    expect(await send(`${receiver.baseUrl}/readyz`, { method: 'GET' })).toMatchObject({
      status: 200,
      json: { status: 'ready' },
    });
  });

  describe('with real signed deliveries from the Caliza sandbox double', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({
        webhooks: { timeoutMs: 5_000, maxAttempts: 3, baseDelayMs: 50, maxDelayMs: 200 },
      });
      await h.setCallbackUrl(receiver.url);
    });
    afterAll(async () => {
      await h?.close();
    });

    const acknowledged = (beneficiaryId: string) =>
      eventually(async () => {
        const answer = await h.admin<{ entries: DeliveryLogEntry[] }>(
          `/webhooks/deliveries?beneficiaryId=${beneficiaryId}`,
        );
        return answer.json.entries.find((entry) => entry.result === 'acknowledged');
      }, 5_000);

    it('records the outcome Caliza sends, across a secret rotation', async () => {
      secrets = [h.sandbox.webhookSecret()];
      const first = await h.createBeneficiary();
      await h.createSession(first.id);
      caliza.seed(first.id, 'SUCCEEDED');
      expect(
        (
          await h.admin(`/beneficiaries/${first.id}/decision`, {
            method: 'POST',
            json: { decision: 'approve' },
          })
        ).status,
      ).toBe(202);
      expect(await acknowledged(first.id)).toMatchObject({ status: 200, attempt: 1 });
      expect(await verification.result(first.id)).toMatchObject({
        outcome: 'APPROVED',
        decidedBy: 'WEBHOOK',
      });

      // Rotate at Caliza, then tell the receiver: the getter is read on every delivery.
      const old = h.sandbox.webhookSecret();
      const rotated = await h.api(`/v1/integrators/${h.sandbox.integratorId}/update-webhook-secret`, {
        method: 'POST',
      });
      expect(rotated.status).toBe(200);
      expect(h.sandbox.webhookSecret()).not.toBe(old);
      secrets = [h.sandbox.webhookSecret(), old];

      const second = await h.createBeneficiary();
      await h.createSession(second.id);
      caliza.seed(second.id, 'FAILED');
      await h.admin(`/beneficiaries/${second.id}/decision`, {
        method: 'POST',
        json: { decision: 'reject', reason: 'Document unreadable' },
      });
      expect(await acknowledged(second.id)).toMatchObject({ status: 200, attempt: 1 });
      expect(await verification.result(second.id)).toMatchObject({ outcome: 'FAILED', decidedBy: 'WEBHOOK' });
    });
  });
});
