/**
 * `npm start`'s configuration: the stack's options from the environment. Without TEMPORAL_ADDRESS it runs
 * its own dev server on the usual ports with its data under `.data/`; without CALIZA_API_BASE_URL it runs
 * the Caliza sandbox double. Every other variable keeps the meaning it has for the standalone processes.
 */
import path from 'node:path';
import { loadCalizaConfig } from '../src/caliza';
import { type Env, EnvReader } from '../src/env-readers';
import { DEFAULT_CODEC_PORT, encryptionCodecFromEnv } from '../src/codec';
import { optionsFromEnv as sandboxOptionsFromEnv } from '../caliza-double';
import { taskQueueFromEnv, temporalSettingsFromEnv } from '../src/service/config';
import { loadWebhookConfig } from '../src/webhooks';
import type { StackOptions } from './stack';
import { PROJECT_ROOT } from './tool-paths';

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
  return !new EnvReader(env).text('TEMPORAL_ADDRESS');
}

export function usesSandboxDouble(env: Env = process.env): boolean {
  return !new EnvReader(env).text('CALIZA_API_BASE_URL');
}

export function stackOptionsFromEnv(env: Env = process.env): StackOptions {
  const read = new EnvReader(env);
  const webhookSecretsSet = Boolean(
    read.text('CALIZA_WEBHOOK_SECRETS') || read.text('CALIZA_WEBHOOK_SECRET'),
  );
  // Without a secret of its own, the receiver reads the integrator's secret from Caliza once it is reachable.
  const webhook = loadWebhookConfig(env, { secretRequired: false });
  const publicUrl = read.text('WEBHOOK_PUBLIC_URL');
  if (publicUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(publicUrl)) {
    read.problem('WEBHOOK_PUBLIC_URL must be an http(s) URL');
  }
  const payloadCodec = encryptionCodecFromEnv(env);

  const options: StackOptions = {
    temporal: usesOwnDevServer(env)
      ? {
          kind: 'dev-server',
          port: read.port('TEMPORAL_DEV_PORT') ?? DEFAULT_DEV_PORT,
          uiPort: read.port('TEMPORAL_DEV_UI_PORT') ?? DEFAULT_DEV_UI_PORT,
          ...devDbFile(read),
          namespace: read.text('TEMPORAL_NAMESPACE') ?? 'default',
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
      host: read.text('WEBHOOK_HOST') ?? LOCAL_WEBHOOK_HOST,
      path: webhook.path,
      ...(webhookSecretsSet && { secrets: webhook.secrets }),
      ...(publicUrl !== undefined && { publicUrl }),
      bodyLimitBytes: webhook.bodyLimitBytes,
      temporalTimeoutMs: webhook.temporalTimeoutMs,
      retryAfterSeconds: webhook.retryAfterSeconds,
    },
    taskQueue: taskQueueFromEnv(env),
    ...(read.text('WORKFLOW_BUNDLE_PATH') && { workflowBundlePath: read.text('WORKFLOW_BUNDLE_PATH') }),
    ...(payloadCodec && { payloadCodec, codecServerPort: read.port('CODEC_PORT') ?? DEFAULT_CODEC_PORT }),
  };
  read.throwIfAny((problems) => new StackConfigError(problems.join('; ')));
  return options;
}

function externalTemporal(env: Env): StackOptions['temporal'] {
  // The standard Temporal variables and profile file, exactly as the worker and clients read them.
  const { connectionOptions, namespace } = temporalSettingsFromEnv(env);
  return { kind: 'external', connectionOptions, namespace };
}

function devDbFile(read: EnvReader): { dbFilename?: string } {
  const raw = read.text('TEMPORAL_DEV_DB_FILE');
  if (raw === IN_MEMORY) return {};
  return { dbFilename: raw ? path.resolve(raw) : DEFAULT_DEV_DB_FILE };
}
