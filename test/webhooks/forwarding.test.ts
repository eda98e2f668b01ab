import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';
import pino from 'pino';
import { SIGNATURE_HEADER, signWebhookBody, verifyWebhookSignature } from '../../src/caliza/signature';
import { VerificationClient } from '../../src/client/verification-client';
import type { VerificationStateView } from '../../src/contracts';
import { embeddedConfig, webhookSettings } from '../../src/service/config';
import { VerificationService } from '../../src/service/service';
import { createWebhookHandler, type RunningWebhookReceiver } from '../../src/webhooks';
import { ScriptedCaliza } from '../support/scripted-activities';
import { connectToDevServer, createTestWorker, uniqueTaskQueue } from '../support/temporal';
import { RecordingDownstream } from './downstream';
import { devServerSettings, envelopeBody, postSigned, RecordingDelivery, sample, send } from './support';

const SECRET = 'whsec_forwarding_tests_0123456789';
const FORWARD_TIMEOUT_MS = 500;
const newId = (label: string) => `fw-${label}-${randomUUID().slice(0, 8)}`;

/** A transaction event as Caliza might serialise it: any bytes at all, which must arrive unchanged. */
function transactionBody(): Buffer {
  const event = {
    operation: 'TRANSACTION_COMPLETED',
    resourceId: randomUUID(),
    createdAt: '2026-01-01T00:05:00.000001',
    integratorId: '6920925fdbadfe09b1bf9e5e',
    data: { from: { currencyCode: 'BRL', value: 500.0 }, note: 'café — 支払い' },
  };
  // Indented, with a trailing newline: re-serialising would change these bytes (and the signature).
  return Buffer.from(`${JSON.stringify(event, null, 3)}\n`);
}

describe('forwarding to the integrator’s endpoint (real downstream, dev server)', () => {
  let temporal: Awaited<ReturnType<typeof connectToDevServer>>;
  let worker: Worker;
  let workerRun: Promise<void>;
  let verification: VerificationClient;
  const caliza = new ScriptedCaliza();
  const downstream = new RecordingDownstream();
  let downstreamUrl: string;
  /** Forwards only what it does not act on. */
  let others: { service: VerificationService; receiver: RunningWebhookReceiver };
  /** Forwards everything, the outcomes after signalling them. */
  let all: { service: VerificationService; receiver: RunningWebhookReceiver };

  const startReceiver = async (forwardAll: boolean, taskQueue: string) => {
    const service = new VerificationService(
      embeddedConfig({
        temporal: devServerSettings(taskQueue),
        webhooks: webhookSettings({
          port: 0,
          host: '127.0.0.1',
          secrets: [SECRET],
          forward: { url: downstreamUrl, all: forwardAll, timeoutMs: FORWARD_TIMEOUT_MS },
        }),
      }),
      { logger: pino({ level: 'silent' }) },
    );
    return { service, receiver: await service.startWebhooks() };
  };

  beforeAll(async () => {
    temporal = await connectToDevServer();
    const taskQueue = uniqueTaskQueue('forwarding');
    worker = await createTestWorker(temporal.nativeConnection, { taskQueue, activities: caliza.activities });
    workerRun = worker.run();
    verification = new VerificationClient(temporal.client, { taskQueue });
    downstreamUrl = await downstream.start();
    others = await startReceiver(false, taskQueue);
    all = await startReceiver(true, taskQueue);
  });
  afterAll(async () => {
    await others?.service.close();
    await all?.service.close();
    await downstream.close();
    worker?.shutdown();
    await workerRun;
    await temporal?.close();
  });
  beforeEach(() => downstream.reset());

  const metric = async (receiver: RunningWebhookReceiver, series: string) =>
    sample((await send(`${receiver.baseUrl}/metrics`, { method: 'GET' })).text, series);
  const forwards = (receiver: RunningWebhookReceiver, outcome: string) =>
    metric(receiver, `caliza_webhook_forwards_total{outcome="${outcome}"}`);

  it('forwards an event it does not act on byte for byte, with the signature, and answers 200 once the downstream took it', async () => {
    const body = transactionBody();
    const signature = signWebhookBody(body, SECRET);
    const before = await forwards(others.receiver, 'delivered');
    const answer = await send(others.receiver.url, {
      body,
      headers: {
        'content-type': 'application/json',
        [SIGNATURE_HEADER]: signature,
        'x-caliza-extra': 'kept',
      },
    });
    expect(answer).toMatchObject({ status: 200, json: { status: 'forwarded' } });

    expect(downstream.received).toHaveLength(1);
    const got = downstream.received[0]!;
    expect(got.method).toBe('POST');
    expect(got.url).toBe('/integrator/webhooks');
    expect(got.body.equals(body)).toBe(true);
    expect(got.headers[SIGNATURE_HEADER]).toBe(signature);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['x-caliza-extra']).toBe('kept');
    expect(got.headers['content-length']).toBe(String(body.length));
    // The integrator's handler verifies it exactly as it would Caliza's own request, with the same secret.
    expect(verifyWebhookSignature(got.body, got.headers[SIGNATURE_HEADER] as string, [SECRET])).toBe(true);
    expect(await forwards(others.receiver, 'delivered')).toBe(before + 1);
    expect(await metric(others.receiver, 'caliza_webhook_deliveries_total{result="forwarded"}')).toBe(1);
  });

  it('never forwards a body whose signature does not verify', async () => {
    const body = transactionBody();
    const wrong = await postSigned(others.receiver.url, body, 'whsec_not_the_secret');
    const missing = await send(others.receiver.url, {
      body,
      headers: { 'content-type': 'application/json' },
    });
    expect([wrong.status, missing.status]).toEqual([401, 401]);
    expect(downstream.received).toHaveLength(0);
  });

  it('signals an outcome and does not forward it when only the other events are forwarded', async () => {
    const id = newId('others');
    caliza.script(id, 'SUCCEEDED');
    await verification.start(id);
    const answer = await postSigned(others.receiver.url, envelopeBody({ beneficiaryId: id }), SECRET);
    expect(answer).toMatchObject({ status: 200, json: { status: 'accepted' } });
    expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
    expect(downstream.received).toHaveLength(0);
  });

  it('forwarding everything, signals an outcome first: the downstream already finds it in the verification', async () => {
    const id = newId('all');
    caliza.script(id, 'SUCCEEDED');
    await verification.start(id);
    const seen: VerificationStateView[] = [];
    downstream.onRequest = async () => {
      seen.push(await verification.getState(id));
    };
    const body = envelopeBody({ beneficiaryId: id });
    const answer = await postSigned(all.receiver.url, body, SECRET);
    expect(answer).toMatchObject({ status: 200, json: { status: 'accepted', forwarded: true } });
    expect(downstream.received.map((got) => got.body.equals(body))).toEqual([true]);
    expect(seen).toHaveLength(1);
    expect(seen[0]?.lastEvent).toMatchObject({ operation: 'BENEFICIARY_APPROVED' });
    expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
  });

  it('answers 502 when the downstream refuses, and on Caliza’s redelivery forwards again without signalling twice', async () => {
    const id = newId('refused');
    caliza.script(id, 'PENDING');
    await verification.start(id);
    const body = envelopeBody({ beneficiaryId: id });
    const rejectedBefore = await forwards(all.receiver, 'rejected');

    downstream.status = 500;
    const failed = await postSigned(all.receiver.url, body, SECRET);
    expect(failed).toMatchObject({ status: 502, json: { error: 'forward failed: downstream answered 500' } });
    expect(failed.headers['retry-after']).toBeDefined();
    expect(await forwards(all.receiver, 'rejected')).toBe(rejectedBefore + 1);
    // The signal came first and is durable: the workflow has the event although Caliza got a 502.
    expect((await verification.getState(id)).lastEvent).toMatchObject({ operation: 'BENEFICIARY_APPROVED' });

    downstream.status = 200;
    const redelivered = await postSigned(all.receiver.url, body, SECRET);
    expect(redelivered).toMatchObject({ status: 200, json: { status: 'duplicate', forwarded: true } });
    expect(downstream.received).toHaveLength(2);
    expect(downstream.received.every((got) => got.body.equals(body))).toBe(true);
    // One signal reached the workflow: the receiver answered the copy without signalling again.
    expect((await verification.getState(id)).duplicateEvents).toBe(0);
    await verification.cancel(id);
  });

  it('answers 504 within its budget when the downstream is too slow, and counts it', async () => {
    const body = transactionBody();
    downstream.delayMs = 3_000;
    const timeouts = await forwards(others.receiver, 'timeout');
    const observed = await metric(
      others.receiver,
      'caliza_webhook_forward_duration_seconds_count{outcome="timeout"}',
    );
    const answer = await postSigned(others.receiver.url, body, SECRET);
    expect(answer).toMatchObject({ status: 504, json: { error: 'forward timed out' } });
    expect(answer.durationMs).toBeGreaterThanOrEqual(FORWARD_TIMEOUT_MS - 5);
    expect(answer.durationMs).toBeLessThan(FORWARD_TIMEOUT_MS + 400);
    expect(await forwards(others.receiver, 'timeout')).toBe(timeouts + 1);
    expect(
      await metric(others.receiver, 'caliza_webhook_forward_duration_seconds_count{outcome="timeout"}'),
    ).toBe((Number.isNaN(observed) ? 0 : observed) + 1);
    expect(await metric(others.receiver, 'caliza_webhook_deliveries_total{result="forward_failed"}')).toBe(1);
  });
});

describe('the handler alone, forwarding (no HTTP in front)', () => {
  it('answers 502 when the downstream is unreachable', async () => {
    // A port that was just free and is closed again: nothing listens there.
    const probe = http.createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));

    const handler = createWebhookHandler({
      secrets: [SECRET],
      delivery: new RecordingDelivery(),
      logger: pino({ level: 'silent' }),
      forward: { url: `http://127.0.0.1:${port}/hooks`, timeoutMs: 1_000 },
    });
    const body = transactionBody();
    const answer = await handler.handle({
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'X-Caliza-Webhook-Signature': signWebhookBody(body, SECRET),
      },
      body,
    });
    expect(answer.status).toBe(502);
    expect(JSON.parse(answer.body)).toEqual({ error: 'forward failed: downstream unreachable' });
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const text = await handler.metrics.registry.metrics();
    expect(sample(text, 'caliza_webhook_forwards_total{outcome="unreachable"}')).toBe(1);
    handler.close();
  });

  it('refuses a forward that, after the Temporal delivery, would not fit in Caliza’s answer window', () => {
    const options = {
      secrets: [SECRET],
      delivery: new RecordingDelivery(),
      logger: pino({ level: 'silent' }),
    };
    expect(() =>
      createWebhookHandler({
        ...options,
        deliveryTimeoutMs: 3_500,
        forward: { url: 'http://127.0.0.1:1/x', all: true, timeoutMs: 1_001 },
      }),
    ).toThrow(/exceed the 4500 ms answer budget/);
    expect(() =>
      createWebhookHandler({
        ...options,
        deliveryTimeoutMs: 3_500,
        forward: { url: 'http://127.0.0.1:1/x', all: false, timeoutMs: 4_500 },
      }).close(),
    ).not.toThrow();
  });
});
