import type { VerificationSession } from './vocabulary';
import { pathSegmentProblem } from './beneficiary-id';
import type { CalizaConfig } from './config';
import { clip, refusalError } from './error-body';
import { CalizaInvalidIdError, CalizaUnexpectedResponseError, type HttpMethod } from './errors';
import { HttpTransport, type TransportResponse } from './http-transport';
import { silentLogger, type CalizaLogger } from './logger';
import type { CalizaMetrics } from './metrics';
import { SecretRedactor } from './redactor';
import {
  parseBeneficiary,
  parseIntegrator,
  parseVerificationSession,
  parseWebhookSecret,
  parseWebhookUrl,
  type Parsed,
} from './responses';
import { PasswordGrantTokenProvider, type TokenProvider } from './token-provider';
import type { Beneficiary, CreateBeneficiaryRequest, Integrator } from './types';

/** Per call: `signal` aborts the call (token wait included) and makes it reject with the signal's reason. */
export interface CalizaCallOptions {
  signal?: AbortSignal;
}

export interface CalizaClientOptions {
  logger?: CalizaLogger;
  /** Defaults to a password-grant provider built from the config. */
  tokenProvider?: TokenProvider;
  /** Clock for token expiry and `Retry-After` dates (tests move it forward). */
  now?: () => number;
  /** Counts and times every request (the token's too); nothing is counted when absent. */
  metrics?: CalizaMetrics;
}

/** Rejects ids that cannot be sent or would change the URL's meaning (`.`/`..` are resolved away). */
function segment(name: string, value: string): string {
  const problem = pathSegmentProblem(value);
  if (problem !== null) throw new CalizaInvalidIdError(name, problem);
  return encodeURIComponent(value);
}

const emptyBody: Parsed<undefined> = { success: true, data: undefined };

/**
 * `promise`, or a rejection with the signal's reason as soon as it aborts. Used for the token, whose fetch is
 * shared by concurrent calls: one caller giving up must not abort it for the others.
 */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (signal === undefined) return promise;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    void promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * Caliza Core API client. Every call carries a bearer token from the token provider, is bounded by the
 * configured timeout, and fails with a CalizaApiError, CalizaNetworkError or CalizaUnexpectedResponseError
 * (or, before anything is sent, a CalizaInvalidIdError).
 * A 401 triggers one token refresh and one retry.
 */
export class CalizaClient {
  private readonly transport: HttpTransport;
  private readonly tokens: TokenProvider;
  private readonly redactor: SecretRedactor;
  private readonly logger: CalizaLogger;
  private readonly now: () => number;
  private readonly baseUrl: string;
  private readonly metrics: CalizaMetrics | undefined;

  constructor(config: CalizaConfig, options: CalizaClientOptions = {}) {
    this.logger = options.logger ?? silentLogger;
    this.now = options.now ?? Date.now;
    this.redactor = new SecretRedactor([config.clientSecret, config.password]);
    this.baseUrl = config.apiBaseUrl.replace(/\/+$/, '');
    this.metrics = options.metrics;
    this.transport = new HttpTransport(config.timeoutMs, this.logger, options.metrics);
    this.tokens =
      options.tokenProvider ??
      new PasswordGrantTokenProvider(config, {
        logger: this.logger,
        redactor: this.redactor,
        now: this.now,
        ...(options.metrics && { metrics: options.metrics }),
      });
  }

  /** Creates an interactive session, or returns the beneficiary's existing PENDING one. */
  async createVerification(
    beneficiaryId: string,
    options: CalizaCallOptions = {},
  ): Promise<VerificationSession> {
    const path = `/v1/beneficiaries/${segment('beneficiaryId', beneficiaryId)}/verification`;
    return this.call('POST', path, this.sessionParser('POST', path), options, {});
  }

  async getVerification(
    beneficiaryId: string,
    options: CalizaCallOptions = {},
  ): Promise<VerificationSession> {
    const path = `/v1/beneficiaries/${segment('beneficiaryId', beneficiaryId)}/verification`;
    return this.call('GET', path, this.sessionParser('GET', path), options);
  }

  async getIntegrator(options: CalizaCallOptions = {}): Promise<Integrator> {
    return this.call('GET', '/v1/integrators/me', parseIntegrator, options);
  }

  async setWebhookUrl(
    integratorId: string,
    callbackUrl: string,
    options: CalizaCallOptions = {},
  ): Promise<void> {
    const path = `/v1/integrators/${segment('integratorId', integratorId)}/webhooks`;
    // The answer's shape is not documented and nothing in it is needed.
    await this.call('PATCH', path, () => emptyBody, options, { callbackUrl });
  }

  /** The configured webhook URL, or null when none is set. */
  async getWebhookUrl(integratorId: string, options: CalizaCallOptions = {}): Promise<string | null> {
    return this.call(
      'GET',
      `/v1/integrators/${segment('integratorId', integratorId)}/webhooks`,
      parseWebhookUrl,
      options,
    );
  }

  async getWebhookSecret(integratorId: string, options: CalizaCallOptions = {}): Promise<string> {
    const path = `/v1/integrators/${segment('integratorId', integratorId)}/webhook-secret`;
    const secret = await this.call('GET', path, parseWebhookSecret, options);
    this.redactor.addSecret(secret);
    return secret;
  }

  /**
   * Rotates the webhook secret; signatures made with the old one stop validating at once. Returns the new
   * secret when Caliza includes it in the answer, else null (then read it with {@link getWebhookSecret}).
   */
  async rotateWebhookSecret(integratorId: string, options: CalizaCallOptions = {}): Promise<string | null> {
    const path = `/v1/integrators/${segment('integratorId', integratorId)}/update-webhook-secret`;
    const secret = await this.call(
      'POST',
      path,
      (body): Parsed<string | null> => {
        const parsed = parseWebhookSecret(body);
        return { success: true, data: parsed.success ? parsed.data : null };
      },
      options,
    );
    if (secret !== null) this.redactor.addSecret(secret);
    return secret;
  }

  async createBeneficiary(
    body: CreateBeneficiaryRequest,
    options: CalizaCallOptions = {},
  ): Promise<Beneficiary> {
    return this.call('POST', '/v1/beneficiaries', parseBeneficiary, options, body);
  }

  async getBeneficiary(beneficiaryId: string, options: CalizaCallOptions = {}): Promise<Beneficiary> {
    const path = `/v1/beneficiaries/${segment('beneficiaryId', beneficiaryId)}`;
    return this.call('GET', path, parseBeneficiary, options);
  }

  private async call<T>(
    method: HttpMethod,
    path: string,
    parse: (body: unknown) => Parsed<T>,
    { signal }: CalizaCallOptions,
    body?: unknown,
  ): Promise<T> {
    let token = await this.token(signal);
    let response = await this.send(method, path, token, body, signal);
    if (response.status === 401) {
      // Tokens can be revoked or expire early (server restart, clock skew): refresh once, then give up.
      this.logger.info({ method, path, status: 401 }, 'caliza token rejected; refreshing and retrying once');
      this.metrics?.tokenRetry();
      this.tokens.invalidate(token);
      token = await this.token(signal);
      response = await this.send(method, path, token, body, signal);
    }
    if (response.status < 200 || response.status >= 300) {
      throw refusalError({ endpoint: 'api', method, path }, response, this.redactor, this.now());
    }
    const parsed = parse(response.body);
    if (!parsed.success) {
      throw new CalizaUnexpectedResponseError({
        endpoint: 'api',
        method,
        path,
        status: response.status,
        problems: parsed.problems,
      });
    }
    return parsed.data;
  }

  /** An undocumented session status is read as PROCESSING, with a warning that shows what Caliza sent. */
  private sessionParser(method: HttpMethod, path: string): (body: unknown) => Parsed<VerificationSession> {
    return (body) =>
      parseVerificationSession(body, (status) => {
        this.logger.warn(
          { method, path, sessionStatus: clip(status, this.redactor) },
          'caliza session status not documented; read as PROCESSING',
        );
      });
  }

  private async token(signal: AbortSignal | undefined): Promise<string> {
    signal?.throwIfAborted();
    const token = await untilAborted(this.tokens.getToken(), signal);
    // Also covers injected providers, whose tokens the redactor would not otherwise know.
    this.redactor.addToken(token);
    return token;
  }

  private send(
    method: HttpMethod,
    path: string,
    token: string,
    body: unknown,
    signal: AbortSignal | undefined,
  ): Promise<TransportResponse> {
    const headers: Record<string, string> = { Authorization: `Bearer ${token}`, Accept: 'application/json' };
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    return this.transport.send({
      endpoint: 'api',
      method,
      url: `${this.baseUrl}${path}`,
      path,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      ...(signal === undefined ? {} : { signal }),
    });
  }
}
