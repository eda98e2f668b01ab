import { DefaultLogger, Runtime } from '@temporalio/worker';
import pino from 'pino';
import { type SandboxHandle, startSandbox } from '../../caliza-double';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import { hashApiKey, newApiKey, parseApiKeyHashes } from '../../src/api';
import { CalizaClient } from '../../src/caliza';
import { embeddedConfig, webhookSettings } from '../../src/service/config';
import { VerificationService } from '../../src/service/service';
import { calizaConfigFor } from '../stack/support';
import { uniqueTaskQueue, workflowBundle } from '../support/temporal';

export interface ApiStack {
  sandbox: SandboxHandle;
  caliza: CalizaClient;
  service: VerificationService;
  /** Base URL of the HTTP API. */
  url: string;
  /** Two keys accepted at once, as during a rotation. */
  keys: [string, string];
  /** A beneficiary the double knows, so that a verification of it gets a session. */
  newBeneficiary(name: string): Promise<string>;
  /** Decides the beneficiary's session at the double, as the person on the hosted page would. */
  decide(beneficiaryId: string, decision: 'approve' | 'reject'): Promise<void>;
  close(): Promise<void>;
}

/**
 * The worker, the webhook receiver and the HTTP API assembled by the composition root in this process,
 * against the dev server of the global setup and a Caliza double whose webhooks reach the receiver.
 */
export async function startApiStack(): Promise<ApiStack> {
  // Errors only: the fuzzer makes Caliza refuse many made-up ids, each three warnings otherwise.
  Runtime.install({
    logger: new DefaultLogger('ERROR'),
    telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
  });
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  if (!address)
    throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest (global setup)');
  const sandbox = await startSandbox({
    processingDelayMs: 50,
    webhooks: { baseDelayMs: 100, maxDelayMs: 500 },
  });
  const keys: [string, string] = [newApiKey(), newApiKey()];
  const caliza = new CalizaClient(calizaConfigFor(sandbox));
  const service = new VerificationService(
    embeddedConfig({
      temporal: { connectionOptions: { address }, namespace: 'default', taskQueue: uniqueTaskQueue('api') },
      caliza: calizaConfigFor(sandbox),
      webhooks: webhookSettings({ port: 0, host: '127.0.0.1', secrets: [sandbox.webhookSecret()] }),
      api: {
        port: 0,
        host: '127.0.0.1',
        keyHashes: parseApiKeyHashes(keys.map(hashApiKey).join(',')).hashes,
      },
      workflowBundlePath: workflowBundle().codePath,
    }),
    { logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }), caliza },
  );
  try {
    await service.startWorker();
    const receiver = await service.startWebhooks();
    await caliza.setWebhookUrl(sandbox.integratorId, receiver.url);
    const api = await service.startApi();
    return {
      sandbox,
      caliza,
      service,
      url: api.url,
      keys,
      newBeneficiary: async (name) => (await caliza.createBeneficiary(sampleIndividual(name))).id,
      decide: async (beneficiaryId, decision) => {
        const answer = await fetch(`${sandbox.adminUrl}/beneficiaries/${beneficiaryId}/decision`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ decision }),
        });
        if (answer.status !== 202) throw new Error(`the double refused the decision: ${answer.status}`);
      },
      close: async () => {
        await service.close();
        await sandbox.close();
      },
    };
  } catch (err) {
    await service.close().catch(() => undefined);
    await sandbox.close();
    throw err;
  }
}

export interface Answer {
  status: number;
  headers: Headers;
  body: Record<string, unknown>;
}

/** One request to the API; `body` is sent as JSON unless it is a string. */
export async function call(
  url: string,
  method: string,
  path: string,
  options: { key?: string | null; body?: unknown; contentType?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = {};
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] = options.contentType ?? 'application/json';
  }
  const answer = await fetch(`${url}${path}`, { method, headers, ...(body !== undefined && { body }) });
  const text = await answer.text();
  return {
    status: answer.status,
    headers: answer.headers,
    body: text ? (JSON.parse(text) as Record<string, unknown>) : {},
  };
}
