import { randomBytes } from 'node:crypto';
import { Client, Connection, WorkflowFailedError } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import pino from 'pino';
import { CalizaClient } from '../../src/caliza';
import { SIGNATURE_HEADER, signWebhookBody } from '../../src/caliza/signature';
import { VerificationClient } from '../../src/client/verification-client';
import { encryptionCodecFromEnv } from '../../src/codec';
import type { VerificationResult } from '../../src/contracts';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import { type SandboxHandle, startSandbox } from '../../caliza-double';
import {
  type RunningWebhookReceiver,
  startWebhookReceiver,
  temporalEventDelivery,
  temporalReadiness,
} from '../../src/webhooks';
import { CHAOS_POLLING, waitFor } from '../support/chaos-rig';
import { type WorkerProcess, killAllWorkers, startWorkerProcess } from '../support/chaos-worker';
import { uniqueTaskQueue } from '../support/temporal';
import { keysEnv } from '../codec/keys';
import { send } from '../webhooks/support';
import { type RunTexts, closedRuns, encodedForms, runTexts } from './history-text';
import { RecordingProxy } from './recording-proxy';

const TOKEN_PATH = '/auth/realms/caliza/protocol/openid-connect/token';
const UNKNOWN_BENEFICIARY = '0123456789abcdef01234567';

/** Values that only this run uses, so a match can only be a leak. Some need encoding in a form or URL. */
function uniqueSecrets() {
  const tag = randomBytes(6).toString('hex');
  return {
    credentials: {
      clientId: `leak-client-${tag}`,
      clientSecret: `cs-${randomBytes(12).toString('hex')}/+=&`,
      username: `leak-user-${tag}@example.test`,
      password: `pw ${randomBytes(12).toString('hex')} %/+&=`,
    },
    webhookSecret: `whsec_leak_${randomBytes(16).toString('hex')}`,
    person: { firstName: `Zoltana${tag}`, lastName: `Quixby${tag}` },
    rejectionReason: `Document photo unreadable ${tag}`,
  };
}

/**
 * A real flow, end to end: the production worker in a child process (JSON logs captured), the receiver in
 * this process (its log captured), the Caliza double behind a proxy that records every token it issues,
 * and the shared dev server. The flow goes through a token refresh (2 s tokens), a revoked token (401,
 * refresh, retry), a 5xx, a 404 (a run that fails) and webhooks. Then every log line, and every finished
 * run's full history — payloads decoded, failures, search attributes, memo, user metadata, and the stored
 * bytes — must be free of every token, the password, the client secret and the webhook secret.
 */
describe.each([
  ['payload encryption off', false],
  ['payload encryption on', true],
])('no secret leaks, %s', (_, encrypted) => {
  const secrets = uniqueSecrets();
  const taskQueue = uniqueTaskQueue('leaks');
  const encryption = encrypted ? keysEnv(['leak-key']).env : {};
  const codec: PayloadCodec | undefined = encryptionCodecFromEnv(encryption) ?? undefined;
  const receiverLines: string[] = [];
  let sandbox: SandboxHandle;
  let proxy: RecordingProxy;
  let connection: Connection;
  let verifications: VerificationClient;
  let receiver: RunningWebhookReceiver;
  let worker: WorkerProcess;
  let caliza: CalizaClient;

  beforeAll(async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest');
    sandbox = await startSandbox({
      credentials: secrets.credentials,
      webhookSecret: secrets.webhookSecret,
      tokenTtlSeconds: 2,
      processingDelayMs: 100,
      webhooks: { baseDelayMs: 200, maxDelayMs: 1_000 },
    });
    proxy = await RecordingProxy.start(sandbox.url);
    const calizaThroughProxy = {
      apiBaseUrl: `${proxy.origin}/core-api`,
      tokenUrl: `${proxy.origin}${TOKEN_PATH}`,
      credentials: secrets.credentials,
    };
    connection = await Connection.connect({ address });
    const client = new Client({ connection, ...(codec && { dataConverter: { payloadCodecs: [codec] } }) });
    verifications = new VerificationClient(client, { taskQueue });
    receiver = await startWebhookReceiver({
      port: 0,
      host: '127.0.0.1',
      secrets: () => [sandbox.webhookSecret()],
      delivery: temporalEventDelivery(verifications),
      readiness: temporalReadiness(client),
      // Everything, unredacted: the receiver's code must not log a secret in the first place.
      logger: pino({ level: 'trace' }, { write: (line: string) => receiverLines.push(line) }),
    });
    caliza = new CalizaClient({
      apiBaseUrl: calizaThroughProxy.apiBaseUrl,
      tokenUrl: calizaThroughProxy.tokenUrl,
      ...secrets.credentials,
      timeoutMs: 5_000,
      tokenRefreshMarginMs: 500,
    });
    await caliza.setWebhookUrl(sandbox.integratorId, receiver.url);
    worker = await startWorkerProcess({
      address,
      taskQueue,
      caliza: calizaThroughProxy,
      logLevel: 'trace',
      env: { CALIZA_TOKEN_REFRESH_MARGIN_MS: '500', ...encryption },
    });
  }, 60_000);

  afterAll(async () => {
    await killAllWorkers();
    await receiver?.close();
    await connection?.close();
    await proxy?.close();
    await sandbox?.close();
  });

  const admin = async (path: string, body: unknown): Promise<void> => {
    const answer = await fetch(`${sandbox.adminUrl}${path}`, {
      method: path === '/faults' ? 'PATCH' : 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!answer.ok) throw new Error(`${path}: ${answer.status}`);
  };
  /** An individual with this run's unique names (first and last). */
  const beneficiary = async (name: string): Promise<string> => {
    const request = sampleIndividual(name, secrets.person.firstName);
    if (request.type === 'INDIVIDUAL') request.person.lastName = secrets.person.lastName;
    return (await caliza.createBeneficiary(request)).id;
  };

  it('keeps tokens, password, client secret and webhook secret out of every log line and every history', async () => {
    const verificationUrls: string[] = [];
    const results: VerificationResult[] = [];
    const start = async (id: string): Promise<void> => {
      const started = await verifications.start(id, { polling: CHAOS_POLLING });
      if (started.verificationUrl) verificationUrls.push(started.verificationUrl);
    };
    const decide = (id: string, decision: 'approve' | 'reject') =>
      admin(`/beneficiaries/${id}/decision`, { decision, reason: secrets.rejectionReason });

    // 1. A verification approved through its webhook (the worker fetches its first token).
    const approved = await beneficiary(`leak-a-${taskQueue}`);
    await start(approved);
    await decide(approved, 'approve');
    results.push(await verifications.result(approved));

    // 2. Past the 2 s token lifetime: the worker fetches a new token before its next call.
    await new Promise((resolve) => setTimeout(resolve, 2_200));
    const refreshed = await beneficiary(`leak-b-${taskQueue}`);
    await start(refreshed);

    // 3. Every token revoked: the next call gets a 401, the client refreshes once and retries.
    await admin('/tokens/revoke', {});
    const rejected = await beneficiary(`leak-c-${taskQueue}`);
    await start(rejected);
    await decide(rejected, 'reject');
    await decide(refreshed, 'approve');
    results.push(await verifications.result(rejected), await verifications.result(refreshed));

    // 4. Caliza answers 5xx until the worker has seen one; its local activity retries.
    const retried = await beneficiary(`leak-d-${taskQueue}`);
    await admin('/faults', { api: { serverErrorShare: 1 } });
    const starting = start(retried);
    await waitFor(
      'a 5xx answered to the worker',
      async () => (proxy.exchanges.some((e) => e.status >= 500) ? true : undefined),
      10_000,
      50,
    );
    await admin('/faults', { api: { serverErrorShare: 0 } });
    await starting;
    await decide(retried, 'approve');
    results.push(await verifications.result(retried));

    // 5. A beneficiary Caliza does not know: 404, and a run that fails with Caliza's code.
    await expect(verifications.start(UNKNOWN_BENEFICIARY)).rejects.toThrow();
    const failure = await verifications.result(UNKNOWN_BENEFICIARY).catch((err: unknown) => err);
    expect(failure).toBeInstanceOf(WorkflowFailedError);

    // 6. The receiver's refusals: a wrong signature, a malformed signed body, an ignored operation.
    const ignored = Buffer.from(
      JSON.stringify({ operation: 'TRANSACTION_CREATED', beneficiaryId: approved, createdAt: 'x' }),
    );
    const posted = [
      { body: ignored, signature: signWebhookBody(ignored, 'whsec_not_the_secret') },
      {
        body: Buffer.from('{"operation":1}'),
        signature: signWebhookBody('{"operation":1}', sandbox.webhookSecret()),
      },
      { body: ignored, signature: signWebhookBody(ignored, sandbox.webhookSecret()) },
    ];
    const statuses: number[] = [];
    for (const { body, signature } of posted) {
      const answer = await send(receiver.url, {
        body,
        headers: { 'content-type': 'application/json', [SIGNATURE_HEADER]: signature },
      });
      statuses.push(answer.status);
    }
    expect(statuses).toEqual([401, 400, 200]);

    // The flow covered what it claims to.
    expect(results.map((r) => [r.outcome, r.decidedBy])).toEqual([
      ['APPROVED', 'WEBHOOK'],
      ['FAILED', 'WEBHOOK'],
      ['APPROVED', expect.stringMatching(/WEBHOOK|POLL/)],
      ['APPROVED', expect.stringMatching(/WEBHOOK|POLL/)],
    ]);
    expect(results[1]?.reason).toBe(secrets.rejectionReason);
    const apiStatuses = new Set(
      proxy.exchanges.filter((e) => e.path.startsWith('/core-api/')).map((e) => e.status),
    );
    expect([...apiStatuses]).toEqual(expect.arrayContaining([200, 201, 401, 404]));
    expect([...apiStatuses].some((status) => status >= 500)).toBe(true);
    const tokenGrants = proxy.exchanges.filter((e) => e.path === TOKEN_PATH && e.status === 200);
    // The test's own client and the worker each: a first token, one after expiry, one after revocation.
    expect(tokenGrants.length).toBeGreaterThanOrEqual(4);
    const workerLog = worker.lines.join('\n');
    expect(workerLog).toContain('"status":401');
    expect(workerLog).toContain('"status":404');
    expect(receiverLines.join('\n')).toContain('"result":"accepted"');

    // Everything a reader of the logs or of the namespace can see.
    const runs = await closedRuns(verifications.client, taskQueue, 5);
    const histories: RunTexts[] = await Promise.all(
      runs.map((run) => runTexts(verifications.client, run, codec)),
    );
    const haystacks: [string, string][] = [
      ...worker.lines.map((line): [string, string] => ['worker log', line]),
      ...receiverLines.map((line): [string, string] => ['receiver log', line]),
      ...histories.flatMap((h): [string, string][] => [
        ...h.payloads.map((text): [string, string] => [`${h.run.workflowId} payload`, text]),
        [`${h.run.workflowId} events`, h.eventsJson],
        [`${h.run.workflowId} stored bytes`, h.storedBytes],
        [`${h.run.workflowId} describe`, h.describeJson],
      ]),
    ];
    const tokens = [...proxy.tokens];
    expect(tokens.length).toBeGreaterThanOrEqual(6);
    const forbidden = [
      ...tokens.flatMap((token) => [token, token.split('.')[2] ?? token]),
      secrets.credentials.password,
      secrets.credentials.clientSecret,
      secrets.webhookSecret,
      ...posted.map((p) => p.signature),
    ].flatMap((secret) => encodedForms(secret).map((form) => ({ secret: secret.slice(0, 6), form })));
    const leaks: string[] = [];
    for (const [where, text] of haystacks) {
      for (const { secret, form } of forbidden) if (text.includes(form)) leaks.push(`${where}: ${secret}…`);
    }
    expect(leaks).toEqual([]);

    // The search did look at real content: the decoded payloads hold the verification URLs.
    const decoded = histories.flatMap((h) => h.payloads).join('\n');
    for (const url of verificationUrls) expect(decoded).toContain(url);
    expect(histories.some((h) => h.eventsJson.includes('beneficiary.not_found'))).toBe(true);

    if (encrypted) {
      // What is stored holds no beneficiary data in plaintext: no verification URL, no Caliza message, no
      // name (names never reach the workflow at all: the receiver drops the envelope's `data`).
      const stored = histories.flatMap((h) => [h.eventsJson, h.storedBytes, h.describeJson]).join('\n');
      for (const plain of [
        ...verificationUrls,
        secrets.rejectionReason,
        secrets.person.firstName,
        secrets.person.lastName,
      ]) {
        expect(stored.includes(plain)).toBe(false);
      }
    }
  }, 120_000);
});
