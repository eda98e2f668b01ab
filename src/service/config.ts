/**
 * The service's configuration, read from the environment once, for the parts a process runs. Every section
 * is checked and every problem is reported together in one {@link ServiceConfigError}, each naming its
 * variable; a secret's value never appears in a message. The variables themselves are listed, with their
 * defaults and meaning, in `env-vars.ts` (and the README's table, which a test keeps in step).
 */
import type { PayloadCodec } from '@temporalio/common';
import { type ApiSettings, loadApiSettings } from '../api/config';
import { type CalizaConfig, loadCalizaConfig } from '../caliza';
import {
  type CodecServerOptions,
  codecServerOptionsFromEnv,
  encryptionCodecFromEnv,
  KEYS_VARIABLE,
} from '../codec';
import { type TemporalSettings, temporalSettingsFromEnv } from '../client/temporal-settings';
import { type Env, EnvReader } from '../env-readers';

export {
  type TemporalSettings,
  taskQueueFromEnv,
  temporalSettingsFromEnv,
} from '../client/temporal-settings';
import {
  DEFAULT_BODY_LIMIT_BYTES,
  DEFAULT_RETRY_AFTER_SECONDS,
  DEFAULT_TEMPORAL_TIMEOUT_MS,
  DEFAULT_WEBHOOK_HOST,
  DEFAULT_WEBHOOK_PATH,
  DEFAULT_WEBHOOK_PORT,
  type WebhookConfig,
  loadWebhookConfig,
} from '../webhooks/config';
import { DEFAULT_SECRET_REFRESH_MS } from '../webhooks/webhook-secret-source';
import { DEFAULT_ADMIN_HOST, DEFAULT_ADMIN_PORT } from './admin-server';
import { type TracingSettings, tracingSettingsFromEnv } from './tracing';

/** The processes this service is made of; one OS process may run any of them together. */
export const SERVICE_PARTS = ['worker', 'webhooks', 'codec-server', 'api'] as const;
export type ServicePart = (typeof SERVICE_PARTS)[number];

/** The receiver's settings; with no `secrets`, the integrator's secret is read from Caliza. */
export interface WebhookSettings extends Omit<WebhookConfig, 'logLevel'> {
  /** How often a secret read from Caliza is read again. */
  secretRefreshMs: number;
  /** Upper bound of one `/readyz` probe of Temporal. */
  readinessTimeoutMs?: number;
}

export interface ServiceConfig {
  temporal: TemporalSettings;
  /** Needed by the worker, and by a receiver that reads its secret from Caliza. */
  caliza: CalizaConfig | null;
  webhooks: WebhookSettings | null;
  /** Payload encryption shared by the worker and every client; null without keys. */
  payloadCodec: PayloadCodec | null;
  codecServer: Omit<CodecServerOptions, 'codec'> | null;
  /** The HTTP API for backends; null when this process does not serve it. */
  api: ApiSettings | null;
  /** A prebuilt workflow bundle; the source is bundled at start-up otherwise. */
  workflowBundlePath: string | null;
  /** Where `/livez`, `/readyz` and `/metrics` are served (ADMIN_PORT, ADMIN_HOST); off when null. */
  admin: AdminSettings | null;
  /** From the standard OTEL_* variables; off when null (the default). */
  tracing: TracingSettings | null;
}

export interface AdminSettings {
  /** 0 picks a free port. */
  port: number;
  host: string;
}

export class ServiceConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ServiceConfigError';
  }
}

/** The problems an error lists, one per line; any other error is one problem. */
function problemsOf(err: unknown): string[] {
  if (err instanceof Error && 'problems' in err && Array.isArray(err.problems)) {
    const listed = err.problems.filter((problem): problem is string => typeof problem === 'string');
    if (listed.length > 0) return listed;
  }
  return [err instanceof Error ? err.message : String(err)];
}

export function loadServiceConfig(parts: readonly ServicePart[], env: Env = process.env): ServiceConfig {
  const read = new EnvReader(env);
  const problems = read.problems;
  const attempt = <T>(load: () => T): T | null => {
    try {
      return load();
    } catch (err) {
      problems.push(...problemsOf(err));
      return null;
    }
  };
  const runs = (part: ServicePart): boolean => parts.includes(part);

  const temporal = attempt(() => temporalSettingsFromEnv(env));
  const payloadCodec = attempt(() => encryptionCodecFromEnv(env));
  const secretInEnv = Boolean(read.text('CALIZA_WEBHOOK_SECRETS') || read.text('CALIZA_WEBHOOK_SECRET'));
  // A receiver without a secret of its own reads the integrator's secret from Caliza.
  const needsCaliza = runs('worker') || (runs('webhooks') && !secretInEnv);
  const caliza = needsCaliza ? attempt(() => loadCalizaConfig(env)) : null;
  const webhookConfig = runs('webhooks')
    ? attempt(() => loadWebhookConfig(env, { secretRequired: false }))
    : null;
  if (runs('webhooks') && !secretInEnv && caliza === null) {
    problems.push(
      'CALIZA_WEBHOOK_SECRETS or CALIZA_WEBHOOK_SECRET must be set, or the CALIZA_* credentials so that the secret is read from Caliza',
    );
  }
  const codecServer = runs('codec-server') ? attempt(() => codecServerOptionsFromEnv(env)) : null;
  if (runs('codec-server') && payloadCodec === null && problems.length === 0) {
    problems.push(`${KEYS_VARIABLE} is not set: the codec server has nothing to encode or decode with`);
  }
  const api = runs('api') ? attempt(() => loadApiSettings(env)) : null;
  const secretRefreshMs = read.integer('WEBHOOK_SECRET_REFRESH_MS', 1_000);
  const admin: AdminSettings = {
    port: read.port('ADMIN_PORT') ?? DEFAULT_ADMIN_PORT,
    host: read.text('ADMIN_HOST') ?? DEFAULT_ADMIN_HOST,
  };
  if (problems.length > 0 || temporal === null) throw new ServiceConfigError(problems);

  let webhooks: WebhookSettings | null = null;
  if (webhookConfig) {
    const { logLevel: _level, ...settings } = webhookConfig;
    webhooks = { ...settings, secretRefreshMs: secretRefreshMs ?? DEFAULT_SECRET_REFRESH_MS };
  }
  return {
    temporal,
    caliza,
    webhooks,
    payloadCodec,
    codecServer,
    api,
    workflowBundlePath: read.text('WORKFLOW_BUNDLE_PATH') ?? null,
    admin,
    tracing: tracingSettingsFromEnv(env, `caliza-kyc-${parts.join('-')}`),
  };
}

/** The receiver's defaults (as with no WEBHOOK_* variable set), with `overrides` on top. */
export function webhookSettings(overrides: Partial<WebhookSettings> = {}): WebhookSettings {
  return {
    port: DEFAULT_WEBHOOK_PORT,
    host: DEFAULT_WEBHOOK_HOST,
    path: DEFAULT_WEBHOOK_PATH,
    secrets: [],
    secretRefreshMs: DEFAULT_SECRET_REFRESH_MS,
    bodyLimitBytes: DEFAULT_BODY_LIMIT_BYTES,
    temporalTimeoutMs: DEFAULT_TEMPORAL_TIMEOUT_MS,
    retryAfterSeconds: DEFAULT_RETRY_AFTER_SECONDS,
    forward: null,
    ...overrides,
  };
}

/** A configuration built in code, for processes that embed the service: what is not given is off. */
export function embeddedConfig(
  config: Pick<ServiceConfig, 'temporal'> & Partial<ServiceConfig>,
): ServiceConfig {
  return {
    caliza: null,
    webhooks: null,
    payloadCodec: null,
    codecServer: null,
    api: null,
    workflowBundlePath: null,
    admin: null,
    tracing: null,
    ...config,
  };
}
