import type { CalizaClient } from '../caliza';
import type { Logger } from '../logger';

/** How often the secret is read again, so a rotation in Caliza reaches the receiver without a restart. */
export const DEFAULT_SECRET_REFRESH_MS = 60_000;

/**
 * The webhook secret as Caliza reports it, read at start-up and then periodically. The receiver reads
 * `current()` on every delivery; a failed refresh keeps the last good value.
 */
export class WebhookSecretSource {
  private secret: string | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly caliza: Pick<CalizaClient, 'getWebhookSecret'>,
    private readonly integratorId: string,
    private readonly logger: Logger,
  ) {}

  /** Reads the secret now; rejects if Caliza does not answer (at start-up that is fatal). */
  async refresh(): Promise<void> {
    this.secret = await this.caliza.getWebhookSecret(this.integratorId);
  }

  startRefreshing(intervalMs = DEFAULT_SECRET_REFRESH_MS): void {
    this.stop();
    this.timer = setInterval(() => {
      this.refresh().catch((err: unknown) =>
        this.logger.warn(
          { err: err instanceof Error ? err.message : String(err) },
          'could not refresh the webhook secret from Caliza; keeping the current one',
        ),
      );
    }, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  current(): string[] {
    return this.secret === null ? [] : [this.secret];
  }
}
