import pino from 'pino';
import type { CalizaConfig } from '../../src/caliza';
import { type RunningStack, type StackOptions, startStack } from '../../dev/stack';
import { type SandboxHandle, calizaConfigFor as doubleConfig } from '../../caliza-double';
import { installQuietRuntime, uniqueTaskQueue, workflowBundle } from '../support/temporal';
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
