import { Runtime } from '@temporalio/worker';
import type { Logger } from '../logger';
import { PinoSdkLogger } from '../worker-logger';
import type { SdkMetrics } from './sdk-metrics';

export interface RuntimeOptions {
  /**
   * Collects the SDK's metrics (and what workflow and activity code records through its metric meter) for
   * the admin server's `/metrics`; the SDK records none when absent.
   */
  metrics?: SdkMetrics;
  /** The SDK's own log lines below this level are dropped (the launcher's terminal keeps to warnings). */
  sdkLogLevel?: 'info' | 'warn';
}

/**
 * Installs the SDK runtime once per process, before any connection: SDK and core logs go through pino,
 * and the process, not the SDK, decides when to shut down (it stops its parts in order on SIGINT/SIGTERM).
 */
export function installRuntime(logger: Logger, options: RuntimeOptions = {}): void {
  Runtime.install({
    logger: new PinoSdkLogger(
      logger.child({ component: 'temporal' }, options.sdkLogLevel ? { level: options.sdkLogLevel } : {}),
    ),
    shutdownSignals: [],
    telemetryOptions: {
      logging: { filter: { core: 'WARN', other: 'WARN' }, forward: {} },
      ...(options.metrics && { metrics: { buffer: options.metrics.buffer } }),
    },
  });
}
