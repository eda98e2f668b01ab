import type { DeliveryLog } from './delivery-log';
import type { FaultInjector } from './fault-injector';
import type { ResolvedOptions } from './options';
import type { Scheduler } from './scheduler';
import type { SandboxStats } from './stats';
import type { SandboxStore } from './store';
import type { TokenIssuer } from './tokens';
import type { VerificationFlow } from './verification-flow';
import type { WebhookDispatcher } from './webhook-dispatcher';

/** What the route modules share. */
export interface SandboxContext {
  options: ResolvedOptions;
  /** Known once the server listens (port 0 picks the port). */
  baseUrl: () => string;
  store: SandboxStore;
  tokens: TokenIssuer;
  faults: FaultInjector;
  stats: SandboxStats;
  deliveryLog: DeliveryLog;
  webhooks: WebhookDispatcher;
  flow: VerificationFlow;
  scheduler: Scheduler;
}
