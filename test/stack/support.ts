import pino from 'pino';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import type { CalizaClient, CalizaConfig } from '../../src/caliza';
import type { VerificationClient } from '../../src/client';
import { type RunningStack, type StackOptions, startStack } from '../../dev/stack';
import { type SandboxHandle, calizaConfigFor as doubleConfig, startSandbox } from '../../caliza-double';
import {
  connectToDevServer,
  installQuietRuntime,
  uniqueTaskQueue,
  workflowBundle,
} from '../support/temporal';
import { testTargetIsCluster } from '../support/test-cluster';

export const silentLogger = pino({ level: 'silent' });

/**
 * The whole stack on free ports: its own headless in-memory dev server (the cluster on the cluster run), the sandbox double with short
 * delays, the prebuilt workflow bundle and a task queue of its own. Each option can be overridden.
 */
export async function startTestStack(overrides: Partial<StackOptions> = {}): Promise<RunningStack> {
  installQuietRuntime();
  const address = process.env.TEST_TEMPORAL_ADDRESS;
  return startStack({
    // On the cluster run, the self-hosted cluster the global setup brought up stands in for the dev server.
    temporal:
      testTargetIsCluster() && address
        ? { kind: 'external', connectionOptions: { address }, namespace: 'default' }
        : { kind: 'dev-server' },
    caliza: {
      kind: 'sandbox',
      options: { processingDelayMs: 100, webhooks: { baseDelayMs: 100, maxDelayMs: 500 } },
    },
    taskQueue: uniqueTaskQueue('stack'),
    workflowBundlePath: workflowBundle().codePath,
    logger: silentLogger,
    ...overrides,
  });
}

/** Caliza settings that reach a sandbox double started outside the stack, with short test timings. */
export function calizaConfigFor(sandbox: SandboxHandle): CalizaConfig {
  return doubleConfig(sandbox, { timeoutMs: 5_000, tokenRefreshMarginMs: 1_000 });
}

export interface SandboxAndDevServer {
  sandbox: SandboxHandle;
  dev: Awaited<ReturnType<typeof connectToDevServer>>;
}

/** For the tests of one file: a sandbox double with short delays and a client of the shared dev server. */
export function withSandboxAndDevServer(): SandboxAndDevServer {
  const context = {} as SandboxAndDevServer;
  beforeAll(async () => {
    context.sandbox = await startSandbox({ processingDelayMs: 50 });
    context.dev = await connectToDevServer();
  });
  afterAll(async () => {
    await context.dev?.close();
    await context.sandbox?.close();
  });
  return context;
}

/** The CALIZA_* variables a process entry needs to reach a sandbox double. */
export function calizaEnvFor(sandbox: SandboxHandle): Record<string, string> {
  return {
    CALIZA_API_BASE_URL: sandbox.apiBaseUrl,
    CALIZA_TOKEN_URL: sandbox.tokenUrl,
    CALIZA_CLIENT_ID: sandbox.credentials.clientId,
    CALIZA_CLIENT_SECRET: sandbox.credentials.clientSecret,
    CALIZA_USERNAME: sandbox.credentials.username,
    CALIZA_PASSWORD: sandbox.credentials.password,
  };
}

/** The person's decision at the double (its admin API); answers its HTTP status, 202 when taken. */
export async function decideAtSandbox(
  sandbox: SandboxHandle,
  beneficiaryId: string,
  decision: 'approve' | 'reject',
): Promise<number> {
  const response = await fetch(`${sandbox.adminUrl}/beneficiaries/${beneficiaryId}/decision`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ decision }),
  });
  return response.status;
}

/**
 * One verification the whole way: a new individual at the double, started, approved on the hosted page,
 * decided by the webhook the double sends to the receiver it was given. Resolves with the beneficiary's id.
 */
export async function verifyThroughWebhook(
  sandbox: SandboxHandle,
  caliza: CalizaClient,
  verifications: VerificationClient,
  label: string,
): Promise<string> {
  const beneficiary = await caliza.createBeneficiary(sampleIndividual(label));
  const started = await verifications.start(beneficiary.id);
  expect(started.status).toBe('PENDING');
  expect(await decideAtSandbox(sandbox, beneficiary.id, 'approve')).toBe(202);
  expect(await verifications.result(beneficiary.id)).toMatchObject({
    outcome: 'APPROVED',
    decidedBy: 'WEBHOOK',
  });
  return beneficiary.id;
}

export function sandboxOf(stack: RunningStack): SandboxHandle {
  const sandbox = stack.caliza.sandbox;
  if (!sandbox) throw new Error('this stack does not run the sandbox double');
  return sandbox;
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (err) {
      lastError = err;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what}${lastError ? `: ${String(lastError)}` : ''}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
