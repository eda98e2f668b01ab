export { startSandbox, type SandboxHandle } from './server';
export type { SandboxOptions, SandboxCredentials, AutoDecideConfig, WebhookDeliveryConfig } from './options';
export type { FaultConfig, FaultConfigPatch } from './fault-config';
export type { DeliveryLogEntry } from './delivery-log';
export type { WebhookEnvelope } from './webhook-dispatcher';
export type { SessionView, BeneficiaryView } from './store';
export { optionsFromEnv } from './env';
export { UNDOCUMENTED_BEHAVIOUR } from './undocumented-behaviour';
export { calizaConfigFor } from './caliza-config';
