/**
 * `npm start`'s configuration: the stack's options from the environment. Without TEMPORAL_ADDRESS it runs
 * its own dev server on the usual ports with its data under `.data/`; without CALIZA_API_BASE_URL it runs
 * the Caliza sandbox double. Every other variable keeps the meaning it has for the standalone processes.
 */
import path from 'node:path';
import { loadCalizaConfig } from '../src/caliza';
import { DEFAULT_CODEC_PORT, encryptionCodecFromEnv } from '../src/codec';
import { optionsFromEnv as sandboxOptionsFromEnv } from '../caliza-double';
import { taskQueueFromEnv, temporalSettingsFromEnv } from '../src/service/config';
import { loadWebhookConfig } from '../src/webhooks';
import type { StackOptions } from './stack';
import { PROJECT_ROOT } from './tool-paths';

type Env = NodeJS.ProcessEnv;

export const DEFAULT_DEV_PORT = 7233;
export const DEFAULT_DEV_UI_PORT = 8233;
export const DEFAULT_DEV_DB_FILE = path.join(PROJECT_ROOT, '.data', 'temporal-dev.sqlite');
/** TEMPORAL_DEV_DB_FILE value that keeps the dev server's data in memory. */
export const IN_MEMORY = ':memory:';

/** The launcher's own loopback default: the Caliza double calls it from this machine. */
const LOCAL_WEBHOOK_HOST = '127.0.0.1';

export class StackConfigError extends Error {
  override readonly name = 'StackConfigError';
}

export function usesOwnDevServer(env: Env = process.env): boolean {
  return !read(env, 'TEMPORAL_ADDRESS');
}

export function usesSandboxDouble(env: Env = process.env): boolean {
  return !read(env, 'CALIZA_API_BASE_URL');
}

export function stackOptionsFromEnv(env: Env = process.env): StackOptions {
  const webhookSecretsSet = Boolean(
    read(env, 'CALIZA_WEBHOOK_SECRETS') || read(env, 'CALIZA_WEBHOOK_SECRET'),
  );
  // Without a secret of its own, the receiver reads the integrator's secret from Caliza once it is reachable.
  const webhook = loadWebhookConfig(env, { secretRequired: false });
  const publicUrl = read(env, 'WEBHOOK_PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    throw new StackConfigError('WEBHOOK_PUBLIC_URL must be an http(s) URL');
  }
  const payloadCodec = encryptionCodecFromEnv(env);

  return {
    temporal: usesOwnDevServer(env)
      ? {
          kind: 'dev-server',
          port: port(env, 'TEMPORAL_DEV_PORT', DEFAULT_DEV_PORT),
          uiPort: port(env, 'TEMPORAL_DEV_UI_PORT', DEFAULT_DEV_UI_PORT),
          ...devDbFile(env),
          namespace: read(env, 'TEMPORAL_NAMESPACE') ?? 'default',
          detached: true,
        }
      : externalTemporal(env),
    caliza: usesSandboxDouble(env)
      ? { kind: 'sandbox', options: sandboxOptionsFromEnv(env) }
      : {
          kind: 'configured',
          config: loadCalizaConfig(env),
          registerWebhookUrl: publicUrl !== undefined,
        },
    webhooks: {
      port: webhook.port,
      host: read(env, 'WEBHOOK_HOST') ?? LOCAL_WEBHOOK_HOST,
      path: webhook.path,
      ...(webhookSecretsSet && { secrets: webhook.secrets }),
      ...(publicUrl !== undefined && { publicUrl }),
      bodyLimitBytes: webhook.bodyLimitBytes,
      temporalTimeoutMs: webhook.temporalTimeoutMs,
      retryAfterSeconds: webhook.retryAfterSeconds,
    },
    taskQueue: taskQueueFromEnv(env),
    ...(read(env, 'WORKFLOW_BUNDLE_PATH') && { workflowBundlePath: read(env, 'WORKFLOW_BUNDLE_PATH') }),
    ...(payloadCodec && { payloadCodec, codecServerPort: port(env, 'CODEC_PORT', DEFAULT_CODEC_PORT) }),
  };
}

function externalTemporal(env: Env): StackOptions['temporal'] {
  // The standard Temporal variables and profile file, exactly as the worker and clients read them.
  const { connectionOptions, namespace } = temporalSettingsFromEnv(env);
  return { kind: 'external', connectionOptions, namespace };
}

function devDbFile(env: Env): { dbFilename?: string } {
  const raw = read(env, 'TEMPORAL_DEV_DB_FILE');
  if (raw === IN_MEMORY) return {};
  return { dbFilename: raw ? path.resolve(raw) : DEFAULT_DEV_DB_FILE };
}

function port(env: Env, name: string, fallback: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isInteger(value) || value > 65_535) {
    throw new StackConfigError(`${name} must be a port number from 0 to 65535 (0 picks a free one)`);
  }
  return value;
}

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}
