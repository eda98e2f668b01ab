import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import pino from 'pino';
import { VerificationClient } from '../../src/client/verification-client';
import { freePort } from '../../dev/free-port';
import { type DevServer, startDevServer } from '../../dev/temporal-dev-server';
import {
  type RunningWebhookReceiver,
  startWebhookReceiver,
  temporalEventDelivery,
  temporalReadiness,
} from '../../src/webhooks';
import { ScriptedCaliza } from '../support/scripted-activities';
import { createTestWorker, installQuietRuntime, uniqueTaskQueue } from '../support/temporal';
import { envelopeBody, eventually, postSigned, sample, send } from './support';

const SECRET = 'whsec_outage_tests';
const TEMPORAL_TIMEOUT_MS = 1_000;

/** A worker on its own connection, run until `body` is done; closed afterwards either way. */
async function withWorker<T>(
  address: string,
  taskQueue: string,
  caliza: ScriptedCaliza,
  body: () => Promise<T>,
): Promise<T> {
  const connection = await NativeConnection.connect({ address });
  try {
    const worker = await createTestWorker(connection, { taskQueue, activities: caliza.activities });
    return await worker.runUntil(body);
  } finally {
    await connection.close();
  }
}

describe('webhook receiver while Temporal is down', () => {
  let dataDir: string;
  let port: number;
  let server: DevServer | null = null;
  let connection: Connection;
  /** Holds the SDK's native runtime for the whole file, instead of one runtime per worker. */
  let runtimeAnchor: NativeConnection | null = null;
  let receiver: RunningWebhookReceiver;
  let verification: VerificationClient;
  const taskQueue = uniqueTaskQueue('webhooks-outage');
  const caliza = new ScriptedCaliza();
  const start = () => startDevServer({ port, dbFilename: path.join(dataDir, 'temporal.db') });

  beforeAll(async () => {
    installQuietRuntime();
    dataDir = mkdtempSync(path.join(tmpdir(), 'webhooks-outage-'));
    port = await freePort();
    server = await start();
    connection = await Connection.connect({ address: server.address });
    runtimeAnchor = await NativeConnection.connect({ address: server.address });
    const client = new Client({ connection });
    verification = new VerificationClient(client, { taskQueue });
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secrets: [SECRET],
      delivery: temporalEventDelivery(verification, { timeoutMs: TEMPORAL_TIMEOUT_MS }),
      deliveryTimeoutMs: TEMPORAL_TIMEOUT_MS + 500,
      readiness: temporalReadiness(client, { timeoutMs: 500 }),
      retryAfterSeconds: 3,
      logger: pino({ level: 'silent' }),
    });
  }, 60_000);
  afterAll(async () => {
    await receiver?.close();
    await connection?.close();
    await runtimeAnchor?.close();
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('answers 503 quickly while Temporal is down, then 200 for the same delivery once it is back, and the outcome follows', async () => {
    const id = 'wh-outage-1';
    caliza.script(id, 'SUCCEEDED');
    const address = server?.address ?? '';
    await withWorker(address, taskQueue, caliza, () => verification.start(id));

    await server?.stop();
    server = null;
    const body = envelopeBody({ beneficiaryId: id });
    const down = await postSigned(receiver.url, body, SECRET);
    expect(down).toMatchObject({ status: 503, json: { error: 'temporarily unavailable' } });
    expect(down.headers['retry-after']).toBe('3');
    // Bounded by the deadline, and well inside Caliza's 5 s even on a busy machine.
    expect(down.durationMs).toBeLessThan(4_000);
    const notReady = await send(`${receiver.baseUrl}/readyz`, { method: 'GET' });
    expect(notReady).toMatchObject({ status: 503, json: { reason: 'temporal unreachable' } });
    expect(notReady.durationMs).toBeLessThan(3_000);

    server = await start();
    // Like Caliza, retry the same bytes until they are taken.
    const accepted = await eventually(
      async () => {
        const answer = await postSigned(receiver.url, body, SECRET);
        expect([200, 503]).toContain(answer.status);
        return answer.status === 200 ? answer : undefined;
      },
      20_000,
      250,
    );
    expect(accepted.json).toEqual({ status: 'accepted' });
    expect((await send(`${receiver.baseUrl}/readyz`, { method: 'GET' })).status).toBe(200);

    // The run survived the restart in the SQLite file and takes the event once a worker is back.
    const result = await withWorker(server.address, taskQueue, caliza, () => verification.result(id));
    expect(result).toMatchObject({ beneficiaryId: id, outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
    expect(caliza.count('create', id)).toBe(1);

    const metrics = (await send(`${receiver.baseUrl}/metrics`, { method: 'GET' })).text;
    expect(sample(metrics, 'caliza_webhook_deliveries_total{result="unavailable"}')).toBeGreaterThanOrEqual(
      1,
    );
    expect(
      sample(metrics, 'caliza_webhook_signal_duration_seconds_count{result="unavailable"}'),
    ).toBeGreaterThanOrEqual(1);
  }, 60_000);
});
