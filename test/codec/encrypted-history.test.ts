import { randomUUID } from 'node:crypto';
import { Client } from '@temporalio/client';
import type { Payload } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { VerificationClient } from '../../src/client';
import { dataConverterFromEnv } from '../../src/codec';
import { type VerificationEvent, verificationEventSignal, workflowIdFor } from '../../src/contracts';
import { createVerificationWorker } from '../../src/worker';
import { FAILURE_DETAILS_PATCH } from '../../src/workflows/verify-beneficiary';
import { runEvents } from '../support/history';
import { ScriptedCaliza } from '../support/scripted-activities';
import { connectToDevServer, uniqueTaskQueue, workflowBundle } from '../support/temporal';
import { keysEnv } from './keys';

interface FoundPayload {
  path: string;
  payload: Payload;
}

/** Every Payload-shaped object in a history, with where it was found. */
function payloadsIn(value: unknown, path = ''): FoundPayload[] {
  if (value === null || typeof value !== 'object' || value instanceof Uint8Array) return [];
  const record = value as Record<string, unknown>;
  if (record.data instanceof Uint8Array && typeof record.metadata === 'object' && record.metadata !== null) {
    return [{ path, payload: record as Payload }];
  }
  return Object.entries(record).flatMap(([key, child]) => payloadsIn(child, `${path}.${key}`));
}

const bytesOf = (payload: Payload): Buffer =>
  Buffer.concat([
    Buffer.from(payload.data ?? []),
    ...Object.values(payload.metadata ?? {}).map((value) => Buffer.from(value ?? [])),
  ]);

describe('payload encryption on a real Temporal server', () => {
  let dev: Awaited<ReturnType<typeof connectToDevServer>>;
  beforeAll(async () => {
    dev = await connectToDevServer();
  });
  afterAll(async () => {
    await dev?.close();
  });

  it('stores no beneficiary id, verification URL or event message in any payload of the history', async () => {
    const dataConverter = dataConverterFromEnv(keysEnv(['k1']).env);
    if (!dataConverter) throw new Error('keys were configured, so encryption must be on');
    const beneficiaryId = `ben-enc-${randomUUID().slice(0, 8)}`;
    const verificationUrl = `https://verify.example/${beneficiaryId}`;
    const message = `Selfie does not match the document ${randomUUID()}`;
    const event: VerificationEvent = {
      operation: 'BENEFICIARY_FAILED',
      beneficiaryId,
      createdAt: '2026-01-01T00:06:00.000001',
      success: false,
      message,
    };
    const caliza = new ScriptedCaliza().script(beneficiaryId, 'FAILED');
    const taskQueue = uniqueTaskQueue('codec');
    const worker = await createVerificationWorker({
      connection: dev.nativeConnection,
      taskQueue,
      activities: caliza.activities,
      workflowBundlePath: workflowBundle().codePath,
      dataConverter,
    });
    const codecClient = new Client({ connection: dev.client.connection, dataConverter });
    const verifications = new VerificationClient(codecClient, { taskQueue });

    const { started, result } = await worker.runUntil(async () => {
      const started = await verifications.start(beneficiaryId);
      await verifications.handle(beneficiaryId).signal(verificationEventSignal, event);
      return { started, result: await verifications.result(beneficiaryId) };
    });
    // With the codec, everything reads as usual.
    expect(started.verificationUrl).toBe(verificationUrl);
    expect(result).toMatchObject({ beneficiaryId, outcome: 'FAILED', reason: message, decidedBy: 'WEBHOOK' });

    // Without it, the stored payloads are opaque.
    const workflowId = workflowIdFor(beneficiaryId);
    await expect(dev.client.workflow.getHandle(workflowId).result()).rejects.toThrow(/binary\/encrypted/);
    const events = await runEvents(dev.client, workflowId);
    const found = payloadsIn(events);
    const searchAttributes = found.filter((p) => p.path.includes('.searchAttributes.'));
    const payloads = found.filter((p) => !p.path.includes('.searchAttributes.'));

    const encrypted = payloads.filter(
      (p) => Buffer.from(p.payload.metadata?.encoding ?? []).toString() === 'binary/encrypted',
    );
    // Input, summary, update, two Caliza results, the signal and the result at least.
    expect(encrypted.length).toBeGreaterThanOrEqual(7);
    // The only payloads the SDK writes unencoded are the local-activity marker's own bookkeeping (sequence
    // number, activity type, times), which the workflow never fills, and a patch marker's id (a rejection
    // reads the beneficiary's reason behind the failure-details patch).
    const unencrypted = payloads.filter((p) => !encrypted.includes(p));
    expect(new Set(unencrypted.map((p) => p.path.replace(/^\.\d+\./, '')))).toEqual(
      new Set([
        'markerRecordedEventAttributes.details.data.payloads.0',
        'markerRecordedEventAttributes.details.patch-data.payloads.0',
      ]),
    );
    const patchIds = unencrypted
      .filter((p) => p.path.includes('.patch-data.'))
      .map((p) => (JSON.parse(Buffer.from(p.payload.data ?? []).toString('utf8')) as { id: string }).id);
    expect(patchIds).toEqual([FAILURE_DETAILS_PATCH]);
    for (const { path, payload } of payloads) {
      const bytes = bytesOf(payload);
      for (const secret of [beneficiaryId, verificationUrl, message]) {
        if (bytes.includes(secret)) throw new Error(`${path} holds "${secret}" in plaintext`);
      }
    }
    // Nowhere else either: not in failures, not in metadata, not anywhere in the stored history.
    const history = Buffer.from(temporal.api.history.v1.History.encode({ events }).finish());
    expect(history.includes(verificationUrl)).toBe(false);
    expect(history.includes(message)).toBe(false);
    // Search attributes are indexed by the server, so they are never encrypted: by design, the id is one.
    expect(searchAttributes.some(({ payload }) => bytesOf(payload).includes(beneficiaryId))).toBe(true);
  });
});
