import type { CalizaClient } from '../caliza';
import type { Logger } from '../logger';

/** How often the secret is read again, so a rotation in Caliza reaches the receiver without a restart. */
export const DEFAULT_SECRET_REFRESH_MS = 60_000;

/** How long a rotated-out secret is still accepted: deliveries signed just before a rotation still land. */
export const DEFAULT_PREVIOUS_SECRET_GRACE_MS = 15 * 60_000;

/**
 * The webhook secret as Caliza reports it, read at start-up and then periodically. The receiver reads
 * `current()` on every delivery; a failed refresh keeps the last good value, and after a rotation the
 * previous secret stays valid for a grace period.
 */
export class WebhookSecretSource {
  private secret: string | null = null;
  private previous: { secret: string; until: number } | null = null;
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly caliza: Pick<CalizaClient, 'getWebhookSecret'>,
    private readonly integratorId: string,
    private readonly logger: Logger,
    private readonly graceMs = DEFAULT_PREVIOUS_SECRET_GRACE_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Reads the secret now; rejects if Caliza does not answer (at start-up that is fatal). */
  async refresh(): Promise<void> {
    const secret = await this.caliza.getWebhookSecret(this.integratorId);
    if (this.secret !== null && secret !== this.secret) {
      this.previous = { secret: this.secret, until: this.now() + this.graceMs };
      this.logger.info('the webhook secret was rotated at Caliza; the previous one is accepted for a while');
    }
    this.secret = secret;
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

  /** Current secret first, then the previous one while its grace period lasts. */
  current(): string[] {
    if (this.secret === null) return [];
    if (this.previous && this.previous.until > this.now()) return [this.secret, this.previous.secret];
    this.previous = null;
    return [this.secret];
  }
}
