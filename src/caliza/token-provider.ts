import type { CalizaConfig } from './config';
import { refusalError } from './error-body';
import { CalizaUnexpectedResponseError } from './errors';
import { HttpTransport } from './http-transport';
import type { CalizaMetrics } from './metrics';
import { silentLogger, type CalizaLogger } from './logger';
import { parseTokenResponse } from './responses';
import { SecretRedactor } from './redactor';

export interface TokenProvider {
  getToken(): Promise<string>;
  /**
   * Forget a token the API rejected. With `rejectedToken`, a newer token fetched meanwhile by another
   * caller is kept, so concurrent 401s cause one refresh, not one each.
   */
  invalidate(rejectedToken?: string): void;
}

export type TokenSettings = Pick<
  CalizaConfig,
  'tokenUrl' | 'clientId' | 'clientSecret' | 'username' | 'password' | 'timeoutMs' | 'tokenRefreshMarginMs'
>;

export interface TokenProviderOptions {
  logger?: CalizaLogger;
  /** Shared with the API client so both scrub the same secrets from Caliza's texts. */
  redactor?: SecretRedactor;
  /** Clock for expiry decisions (tests move it forward). */
  now?: () => number;
  metrics?: CalizaMetrics;
}

interface CachedToken {
  token: string;
  refreshAt: number;
}

/**
 * OAuth2 resource-owner password grant against Caliza's Keycloak realm. One token per process, replaced
 * `tokenRefreshMarginMs` before it expires; concurrent callers share one in-flight request.
 */
export class PasswordGrantTokenProvider implements TokenProvider {
  private readonly transport: HttpTransport;
  private readonly logger: CalizaLogger;
  private readonly redactor: SecretRedactor;
  private readonly now: () => number;
  private readonly tokenPath: string;
  private cached: CachedToken | null = null;
  private inFlight: Promise<string> | null = null;

  constructor(
    private readonly settings: TokenSettings,
    options: TokenProviderOptions = {},
  ) {
    this.logger = options.logger ?? silentLogger;
    this.redactor = options.redactor ?? new SecretRedactor();
    this.redactor.addSecret(settings.clientSecret);
    this.redactor.addSecret(settings.password);
    this.now = options.now ?? Date.now;
    this.transport = new HttpTransport(settings.timeoutMs, this.logger, options.metrics);
    this.tokenPath = new URL(settings.tokenUrl).pathname;
  }

  getToken(): Promise<string> {
    if (this.cached !== null && this.now() < this.cached.refreshAt) return Promise.resolve(this.cached.token);
    if (this.inFlight === null) {
      this.inFlight = this.fetchToken().finally(() => {
        this.inFlight = null;
      });
    }
    return this.inFlight;
  }

  invalidate(rejectedToken?: string): void {
    if (rejectedToken === undefined || this.cached?.token === rejectedToken) this.cached = null;
  }

  private async fetchToken(): Promise<string> {
    const form = new URLSearchParams({
      grant_type: 'password',
      client_id: this.settings.clientId,
      client_secret: this.settings.clientSecret,
      username: this.settings.username,
      password: this.settings.password,
    });
    const requestedAt = this.now();
    const response = await this.transport.send({
      endpoint: 'token',
      method: 'POST',
      url: this.settings.tokenUrl,
      path: this.tokenPath,
      headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
      body: form.toString(),
    });
    if (response.status < 200 || response.status >= 300) {
      const target = { endpoint: 'token', method: 'POST', path: this.tokenPath } as const;
      throw refusalError(target, response, this.redactor, this.now());
    }
    const parsed = parseTokenResponse(response.body);
    if (!parsed.success) {
      throw new CalizaUnexpectedResponseError({
        endpoint: 'token',
        method: 'POST',
        path: this.tokenPath,
        status: response.status,
        problems: parsed.problems,
      });
    }
    const { accessToken, expiresInMs } = parsed.data;
    this.redactor.addToken(accessToken);
    // A margin as long as the token's life would make every call fetch a new token; keep at least half.
    const margin = Math.min(this.settings.tokenRefreshMarginMs, expiresInMs / 2);
    this.cached = { token: accessToken, refreshAt: requestedAt + expiresInMs - margin };
    this.logger.debug({ expiresInMs }, 'caliza access token obtained');
    return accessToken;
  }
}
