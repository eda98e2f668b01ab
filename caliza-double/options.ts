import { randomInt } from 'node:crypto';
import {
  checkFaultConfig,
  mergeFaultConfig,
  NO_FAULTS,
  type FaultConfig,
  type FaultConfigPatch,
} from './fault-config';
import { newSecret } from './ids';

export interface SandboxCredentials {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

export interface AutoDecideConfig {
  minDelayMs: number;
  maxDelayMs: number;
  /** Share of sessions approved (the rest are rejected). */
  approveShare: number;
}

export interface WebhookDeliveryConfig {
  /** An attempt with no answer (status line) within this time counts as failed. Caliza asks for 5 s. */
  timeoutMs: number;
  /** Attempts per delivery, first one included. */
  maxAttempts: number;
  /** Delay before retry n is `baseDelayMs * 2^(n-1)`, capped at `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export interface SandboxOptions {
  /** 0 picks a free port. Default 0. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Base URL put into `verificationUrl` and the handle; default `http://{host}:{port}`. */
  publicUrl?: string;
  credentials?: Partial<SandboxCredentials>;
  integratorId?: string;
  /** Initial webhook secret; random when absent. */
  webhookSecret?: string;
  /** Webhook URL configured from the start (otherwise set it with PATCH …/webhooks). */
  callbackUrl?: string;
  /** Access-token lifetime; fractions are allowed for tests. Default 36000 (Caliza's documented example). */
  tokenTtlSeconds?: number;
  refreshTokenTtlSeconds?: number;
  /** Time a decided session spends in PROCESSING. Default 1000. */
  processingDelayMs?: number;
  webhooks?: Partial<WebhookDeliveryConfig>;
  faults?: FaultConfigPatch;
  autoDecide?: AutoDecideConfig | null;
  /** Seed for every injected-fault and auto-decide draw; random (and reported) when absent. */
  seed?: number;
  /** Delivery-log entries kept (oldest dropped first). Default 10000. */
  deliveryLogLimit?: number;
  /** pino level for the double's own log. Default 'silent'. */
  logLevel?: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface ResolvedOptions {
  port: number;
  host: string;
  publicUrl: string | null;
  credentials: SandboxCredentials;
  integratorId: string;
  webhookSecret: string;
  callbackUrl: string;
  tokenTtlSeconds: number;
  refreshTokenTtlSeconds: number;
  processingDelayMs: number;
  webhooks: WebhookDeliveryConfig;
  faults: FaultConfig;
  autoDecide: AutoDecideConfig | null;
  seed: number;
  deliveryLogLimit: number;
  logLevel: NonNullable<SandboxOptions['logLevel']>;
}

export const DEFAULT_CREDENTIALS: SandboxCredentials = {
  clientId: 'caliza-sandbox-client',
  clientSecret: 'sandbox-client-secret',
  username: 'integrator@sandbox.local',
  password: 'sandbox-password',
};

export const DEFAULT_INTEGRATOR_ID = '6920925fdbadfe09b1bf9e5e';

export const DEFAULT_WEBHOOK_DELIVERY: WebhookDeliveryConfig = {
  timeoutMs: 5_000,
  maxAttempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
};

function positiveNumber(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number`);
  return value;
}

function nonNegativeInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 0) throw new Error(`${name} must be a non-negative integer`);
  return value;
}

export function checkAutoDecide(config: AutoDecideConfig): AutoDecideConfig {
  nonNegativeInteger('autoDecide.minDelayMs', config.minDelayMs);
  nonNegativeInteger('autoDecide.maxDelayMs', config.maxDelayMs);
  if (config.maxDelayMs < config.minDelayMs) throw new Error('autoDecide.maxDelayMs must be >= minDelayMs');
  if (!(config.approveShare >= 0 && config.approveShare <= 1)) {
    throw new Error('autoDecide.approveShare must be within [0, 1]');
  }
  return { ...config };
}

export function resolveOptions(options: SandboxOptions = {}): ResolvedOptions {
  const webhooks = { ...DEFAULT_WEBHOOK_DELIVERY, ...options.webhooks };
  positiveNumber('webhooks.timeoutMs', webhooks.timeoutMs);
  if (!Number.isInteger(webhooks.maxAttempts) || webhooks.maxAttempts < 1) {
    throw new Error('webhooks.maxAttempts must be an integer >= 1');
  }
  nonNegativeInteger('webhooks.baseDelayMs', webhooks.baseDelayMs);
  nonNegativeInteger('webhooks.maxDelayMs', webhooks.maxDelayMs);
  const integratorId = options.integratorId ?? DEFAULT_INTEGRATOR_ID;
  if (!/^[0-9a-f]{24}$/.test(integratorId))
    throw new Error('integratorId must be 24 lowercase hex characters');
  return {
    port: nonNegativeInteger('port', options.port ?? 0),
    host: options.host ?? '127.0.0.1',
    publicUrl: options.publicUrl ? options.publicUrl.replace(/\/+$/, '') : null,
    credentials: { ...DEFAULT_CREDENTIALS, ...options.credentials },
    integratorId,
    webhookSecret: options.webhookSecret ?? newSecret(),
    callbackUrl: options.callbackUrl ?? '',
    tokenTtlSeconds: positiveNumber('tokenTtlSeconds', options.tokenTtlSeconds ?? 36_000),
    refreshTokenTtlSeconds: positiveNumber('refreshTokenTtlSeconds', options.refreshTokenTtlSeconds ?? 1_800),
    processingDelayMs: nonNegativeInteger('processingDelayMs', options.processingDelayMs ?? 1_000),
    webhooks,
    faults: options.faults ? mergeFaultConfig(NO_FAULTS, options.faults) : checkFaultConfig(NO_FAULTS),
    autoDecide: options.autoDecide ? checkAutoDecide(options.autoDecide) : null,
    seed: options.seed ?? randomInt(0, 2 ** 31),
    deliveryLogLimit: nonNegativeInteger('deliveryLogLimit', options.deliveryLogLimit ?? 10_000),
    logLevel: options.logLevel ?? 'silent',
  };
}
