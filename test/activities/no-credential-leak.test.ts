import { inspect } from 'node:util';
import { defaultFailureConverter, defaultPayloadConverter } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import pino from 'pino';
import type { VerificationSession } from '../../src/contracts';
import { createActivities } from '../../src/activities/verification-activities';
import { CalizaClient } from '../../src/caliza/client';
import { loadCalizaConfig } from '../../src/caliza/config';
import { FakeCalizaServer, sessionBody, TOKEN_PATH } from '../support/fake-caliza-server';
import { expandErrors, MemoryLogger } from './memory-logger';

const BENEFICIARY = '6925dd986a93002882da640b';
const VERIFICATION = `/v1/beneficiaries/${BENEFICIARY}/verification`;

/** Proto failures carry details as payload bytes; decode them so the JSON check sees their text. */
function bytesAsText(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? Buffer.from(value).toString('utf8') : expandErrors(_key, value);
}

describe('credentials never reach logs, errors or failures', () => {
  let server: FakeCalizaServer;

  beforeEach(async () => {
    server = await FakeCalizaServer.start();
  });

  afterEach(async () => {
    await server.close();
  });

  it('holds across token fetches, a 401 refresh, 404, 500, an echoing server, bad credentials and a timeout', async () => {
    const pinoLines: string[] = [];
    const pinoLogger = pino({ level: 'trace' }, { write: (line: string) => pinoLines.push(line) });
    const activityLogger = new MemoryLogger();
    const env = new MockActivityEnvironment(
      { activityType: 'readVerificationSession' },
      { logger: activityLogger },
    );
    const config = loadCalizaConfig(server.env({ CALIZA_TIMEOUT_MS: '1000' }));
    const activities = createActivities({ caliza: new CalizaClient(config, { logger: pinoLogger }) });
    const createSession = (id: string): Promise<VerificationSession> =>
      env.run(activities.createVerificationSession, id);
    const readSession = (id: string): Promise<VerificationSession> =>
      env.run(activities.readVerificationSession, id);
    const thrown: unknown[] = [];
    const attempt = async (run: () => Promise<unknown>): Promise<void> => {
      await run().catch((error: unknown) => thrown.push(error));
    };

    // 1. First token fetch and a successful create.
    server.enqueue('POST', VERIFICATION, { status: 201, body: sessionBody(BENEFICIARY) });
    await createSession(BENEFICIARY);
    // 2. The token is revoked: 401, refresh, retry.
    server.expireTokens();
    server.enqueue('GET', VERIFICATION, { body: sessionBody(BENEFICIARY) });
    await readSession(BENEFICIARY);
    // 3. 404 with Caliza's body; 4. 500; 5. a server that echoes credentials in its error message.
    server.enqueue(
      'GET',
      VERIFICATION,
      {
        status: 404,
        body: { code: 'beneficiary.not_found', message: 'Beneficiary not found', traceId: 't-404' },
      },
      { status: 500, body: { message: 'internal error' } },
      {
        status: 400,
        body: {
          code: 'auth.debug',
          message: `token ${server.issuedTokens[1]} for ${config.password} / ${config.clientSecret}`,
          errors: [`secret=${config.clientSecret}`],
        },
      },
    );
    for (let i = 0; i < 3; i++) await attempt(() => readSession(BENEFICIARY));
    // 6. A 401 that survives the refresh.
    server.enqueue('GET', VERIFICATION, { status: 401 }, { status: 401 });
    await attempt(() => readSession(BENEFICIARY));
    // 7. A timeout.
    server.enqueue('GET', VERIFICATION, { delayMs: 5_000 });
    await attempt(() => readSession(BENEFICIARY));
    // 8. The token endpoint refuses the credentials and echoes the password it was sent.
    server.enqueueToken({
      status: 401,
      body: { error: 'invalid_grant', error_description: `bad password ${config.password}` },
    });
    server.expireTokens();
    await attempt(() => readSession(BENEFICIARY));

    // The run covered what it claims to cover.
    expect(server.tokenCalls).toBeGreaterThanOrEqual(4);
    expect(thrown).toHaveLength(6);
    const statuses = pinoLines.map((l) => (JSON.parse(l) as { status?: number }).status).filter(Boolean);
    expect(statuses).toEqual(expect.arrayContaining([200, 201, 401, 404, 500, 400]));
    expect(pinoLines.some((l) => l.includes('"reason":"timeout"'))).toBe(true);
    expect(activityLogger.lines.some((l) => l.includes('Activity failed'))).toBe(true);
    expect(thrown.map((e) => (e as { type?: string }).type)).toEqual([
      'beneficiary.not_found',
      'CalizaUnavailable',
      'auth.debug',
      'CalizaHttp401',
      'CalizaUnavailable',
      'invalid_grant',
    ]);
    const echoed = thrown[2] as Error;
    expect(echoed.message).toContain('[REDACTED]');

    const serializedFailures = thrown.flatMap((error) => [
      String(error),
      JSON.stringify(error, expandErrors),
      inspect(error, { depth: 10 }),
      JSON.stringify(defaultFailureConverter.errorToFailure(error, defaultPayloadConverter), bytesAsText),
    ]);
    const haystacks = [...pinoLines, ...activityLogger.lines, ...serializedFailures];
    const secrets = [...server.issuedTokens, config.password, config.clientSecret];
    expect(server.issuedTokens.length).toBeGreaterThanOrEqual(3);
    for (const text of haystacks) {
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(text).not.toMatch(/bearer\s/i);
      expect(text).not.toContain('client_secret=');
    }
    // The token request itself did carry them: the check above is not vacuous.
    const form = new URLSearchParams(server.requestsTo('POST', TOKEN_PATH)[0]?.body);
    expect(form.get('password')).toBe(config.password);
  });
});
