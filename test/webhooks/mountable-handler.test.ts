import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Worker } from '@temporalio/worker';
import express from 'express';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { SIGNATURE_HEADER, signWebhookBody } from '../../src/caliza/signature';
import { VerificationClient } from '../../src/client/verification-client';
import { embeddedConfig, webhookSettings } from '../../src/service/config';
import { VerificationService } from '../../src/service/service';
import {
  calizaWebhookMiddleware,
  calizaWebhookPlugin,
  createWebhookHandler,
  temporalEventDelivery,
  type WebhookHandler,
} from '../../src/webhooks';
import { ScriptedCaliza } from '../support/scripted-activities';
import { connectToDevServer, createTestWorker, uniqueTaskQueue } from '../support/temporal';
import { devServerSettings, envelopeBody, memoryLogger, postSigned, send } from './support';

const SECRET = 'whsec_mounted_tests_0123456789';
const BODY_LIMIT = 2_048;
const newId = (label: string) => `mount-${label}-${randomUUID().slice(0, 8)}`;

/** Caliza's bytes as a JSON parser would never write them back: a re-serialised body fails the signature. */
function spacedApproval(beneficiaryId: string): Buffer {
  const compact = JSON.parse(envelopeBody({ beneficiaryId }).toString('utf8')) as object;
  return Buffer.from(JSON.stringify(compact, null, 2));
}

const json = (body: unknown) => ({
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(body),
});

describe('the handler mounted in an integrator’s own app (dev server)', () => {
  let temporal: Awaited<ReturnType<typeof connectToDevServer>>;
  let worker: Worker;
  let workerRun: Promise<void>;
  let verification: VerificationClient;
  const caliza = new ScriptedCaliza();

  beforeAll(async () => {
    temporal = await connectToDevServer();
    const taskQueue = uniqueTaskQueue('mounted');
    worker = await createTestWorker(temporal.nativeConnection, { taskQueue, activities: caliza.activities });
    workerRun = worker.run();
    verification = new VerificationClient(temporal.client, { taskQueue });
  });
  afterAll(async () => {
    worker?.shutdown();
    await workerRun;
    await temporal?.close();
  });

  /** Starts a verification whose session Caliza approves, so that a webhook decides it. */
  const pendingVerification = async (label: string): Promise<string> => {
    const id = newId(label);
    caliza.script(id, 'SUCCEEDED');
    expect((await verification.start(id)).status).toBe('PENDING');
    return id;
  };

  /** A signed approval posted to `url` decides a running verification through Temporal. */
  const expectApprovedThrough = async (url: string, label: string): Promise<void> => {
    const id = await pendingVerification(label);
    const answer = await postSigned(url, spacedApproval(id), SECRET);
    expect(answer).toMatchObject({ status: 200, json: { status: 'accepted' } });
    expect(await verification.result(id)).toMatchObject({ outcome: 'APPROVED', decidedBy: 'WEBHOOK' });
  };

  /** The app's own routes still get their JSON parsed. */
  const expectJsonRoutes = async (origin: string, routes: string[]): Promise<void> => {
    for (const route of routes) {
      expect(await send(`${origin}${route}`, json({ order: 7 }))).toMatchObject({
        status: 200,
        json: { parsed: { order: 7 } },
      });
    }
  };

  /** Posts `id`'s approval changed after it was signed (401), and gives back the body and its signature. */
  const postTampered = async (url: string, id: string) => {
    const body = spacedApproval(id);
    const signature = signWebhookBody(body, SECRET);
    const tampered = Buffer.from(body.toString('utf8').replace('"success": true', '"success": false'));
    const answer = await send(url, {
      body: tampered,
      headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
    });
    expect(answer).toMatchObject({ status: 401, json: { error: 'invalid signature' } });
    return { body, signature };
  };

  describe('Fastify plugin', () => {
    let service: VerificationService;
    let app: FastifyInstance;
    let origin: string;

    beforeAll(async () => {
      // The integrator asks the service's composition root for the handler, configured like the receiver.
      service = new VerificationService(
        embeddedConfig({
          temporal: devServerSettings(verification.taskQueue),
          webhooks: webhookSettings({ secrets: [SECRET], bodyLimitBytes: BODY_LIMIT }),
        }),
        { logger: pino({ level: 'silent' }) },
      );
      const handler = await service.webhookHandler();
      app = Fastify();
      // The integrator's own routes, on Fastify's default JSON parser.
      app.post('/orders', async (request) => ({ parsed: request.body }));
      await app.register(calizaWebhookPlugin, { handler, path: '/webhooks/caliza' });
      app.post('/after', async (request) => ({ parsed: request.body }));
      await app.listen({ port: 0, host: '127.0.0.1' });
      origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await app?.close();
      await service?.close();
    });

    it('verifies the raw bytes and signals Temporal, while the app’s JSON routes keep their parser', async () => {
      await expectApprovedThrough(`${origin}/webhooks/caliza`, 'fastify');
      await expectJsonRoutes(origin, ['/orders', '/after']);
    });

    it('refuses a tampered body, a wrong method and an oversized body, and the workflow never hears of them', async () => {
      const id = await pendingVerification('fastify-refused');
      await postTampered(`${origin}/webhooks/caliza`, id);
      const wrongMethod = await send(`${origin}/webhooks/caliza`, { method: 'GET' });
      expect(wrongMethod).toMatchObject({ status: 405, json: { error: 'method not allowed' } });
      expect(wrongMethod.headers.allow).toBe('POST');
      const tooLarge = await postSigned(
        `${origin}/webhooks/caliza`,
        envelopeBody({ beneficiaryId: id, pad: 'x'.repeat(BODY_LIMIT) }),
        SECRET,
      );
      expect(tooLarge).toMatchObject({ status: 413, json: { error: 'body too large' } });
      expect(await verification.getState(id)).toMatchObject({ status: 'PENDING', lastEvent: null });
      await verification.cancel(id);
    });
  });

  describe('Express middleware', () => {
    let handler: WebhookHandler;
    let server: Server;
    let origin: string;
    const logs = memoryLogger();

    beforeAll(async () => {
      handler = createWebhookHandler({
        secrets: [SECRET],
        bodyLimitBytes: BODY_LIMIT,
        delivery: temporalEventDelivery(verification),
        logger: logs.logger,
      });
      const app = express();
      // The integrator's own JSON API, parsed under its own prefix...
      app.use('/api', express.json());
      app.post('/api/orders', (request, response) => {
        response.json({ parsed: request.body as unknown });
      });
      app.post('/webhooks/caliza', calizaWebhookMiddleware(handler));
      // ...or with a parser that already read the body as raw bytes, which the middleware takes as is...
      app.post('/webhooks/raw', express.raw({ type: () => true }), calizaWebhookMiddleware(handler));
      // ...and mounted by mistake after a JSON parser, where the signed bytes are gone.
      app.post('/webhooks/parsed', express.json(), calizaWebhookMiddleware(handler));
      // A JSON parser for everything registered after the webhook routes does not reach them.
      app.use(express.json());
      app.post('/orders', (request, response) => {
        response.json({ parsed: request.body as unknown });
      });
      server = await new Promise<Server>((resolve) => {
        const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
      });
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise((resolve) => server?.close(resolve));
      handler?.close();
    });

    it('verifies the raw bytes and signals Temporal, while the app’s JSON routes keep their parser', async () => {
      await expectApprovedThrough(`${origin}/webhooks/caliza`, 'express');
      await expectJsonRoutes(origin, ['/api/orders', '/orders']);
    });

    it('takes a body express.raw() already read', async () => {
      await expectApprovedThrough(`${origin}/webhooks/raw`, 'express-raw');
    });

    it('refuses a tampered, a chunked oversized and an already-parsed body, and the workflow never hears of them', async () => {
      const id = await pendingVerification('express-refused');
      const { body, signature } = await postTampered(`${origin}/webhooks/caliza`, id);

      const chunk = Buffer.alloc(1_024, 0x20);
      const tooLarge = await send(`${origin}/webhooks/caliza`, {
        chunks: [chunk, chunk, chunk],
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
      });
      expect(tooLarge).toMatchObject({ status: 413, json: { error: 'body too large' } });

      // Never a 2xx (Caliza delivers again once it is fixed), and the log says what is wrong.
      const parsed = await postSigned(`${origin}/webhooks/parsed`, body, SECRET);
      expect(parsed).toMatchObject({ status: 500, json: { error: 'internal error' } });
      expect(logs.lines().some((line) => line.includes('mount it first'))).toBe(true);

      expect(await verification.getState(id)).toMatchObject({ status: 'PENDING', lastEvent: null });
      await verification.cancel(id);
    });
  });
});
