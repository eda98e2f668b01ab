import Fastify, { type FastifyError, type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import { callbackUrlProblem } from './callback-url';
import type { SandboxContext } from './context';
import { DeliveryLog } from './delivery-log';
import { CORE_API_PREFIX, HttpError, codedError } from './errors';
import { FaultInjector } from './fault-injector';
import { WebhookHttpClient } from './http-post';
import { resolveOptions, type SandboxCredentials, type SandboxOptions } from './options';
import { ADMIN_PREFIX, registerAdminRoutes } from './routes/admin-routes';
import { registerCoreApiRoutes } from './routes/core-api-routes';
import { registerHostedRoutes } from './routes/hosted-routes';
import { registerTokenRoutes, TOKEN_PATH } from './routes/token-routes';
import { Scheduler } from './scheduler';
import { SandboxStats } from './stats';
import { SandboxStore } from './store';
import { TokenIssuer } from './tokens';
import { HOSTED_PAGE_PREFIX } from './undocumented-behaviour';
import { VerificationFlow } from './verification-flow';
import { WebhookDispatcher } from './webhook-dispatcher';

export interface SandboxHandle {
  /** Base URL of the double, e.g. http://127.0.0.1:4010. */
  url: string;
  /** Caliza's Core API base (…/core-api); paths below it start with /v1. */
  apiBaseUrl: string;
  tokenUrl: string;
  adminUrl: string;
  credentials: SandboxCredentials;
  integratorId: string;
  /** Seed of every injected-fault draw, for replaying a run. */
  seed: number;
  /** The current webhook secret (changes when rotated through the API). */
  webhookSecret(): string;
  close(): Promise<void>;
}

function registerBodyParsers(app: FastifyInstance): void {
  // Caliza's own example POSTs the verification with no body; an empty JSON body must not be an error.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text.trim() === '') {
      done(null, undefined);
      return;
    }
    try {
      done(null, JSON.parse(text));
    } catch {
      done(new HttpError(400, 'Malformed JSON request'), undefined);
    }
  });
  app.addContentTypeParser(
    'application/x-www-form-urlencoded',
    { parseAs: 'string' },
    (_request, body, done) => {
      const text = typeof body === 'string' ? body : body.toString('utf8');
      done(null, Object.fromEntries(new URLSearchParams(text)));
    },
  );
}

function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler<FastifyError | HttpError>((error, request, reply) => {
    const status = error.statusCode ?? 500;
    if (request.url.startsWith(TOKEN_PATH)) {
      return reply
        .code(status >= 500 ? 500 : 400)
        .send({ error: 'invalid_request', error_description: error.message });
    }
    if (
      status === 400 &&
      (error instanceof HttpError || ('code' in error && error.code === 'FST_ERR_CTP_INVALID_JSON'))
    ) {
      return reply.code(400).send({ errors: ['Malformed JSON request'] });
    }
    if (status === 415) {
      return reply.code(415).send(codedError(request, 'request.unsupported_media_type', error.message));
    }
    if (status === 413) return reply.code(413).send(codedError(request, 'request.too_large', error.message));
    if (status < 500) return reply.code(status).send(codedError(request, 'request.invalid', error.message));
    request.log.error({ err: error }, 'unhandled error in the sandbox double');
    return reply.code(500).send(codedError(request, 'internal.error', 'Internal server error'));
  });
}

function isCalizaApiRoute(route: string): boolean {
  return route === TOKEN_PATH || route.startsWith(`${CORE_API_PREFIX}/`);
}

/** Injected API faults run before anything else (authentication included), so they never change state. */
function registerApiFaults(app: FastifyInstance, ctx: SandboxContext): void {
  app.addHook('onRequest', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route === undefined || !isCalizaApiRoute(route)) return undefined;
    const plan = ctx.faults.planApiCall(route === TOKEN_PATH);
    if (plan.latencyMs > 0) await ctx.scheduler.sleep(plan.latencyMs);
    if (plan.kind === 'rate-limit') {
      return reply
        .code(429)
        .header('Retry-After', String(plan.retryAfterSeconds))
        .header('X-Sandbox-Fault', 'rate-limit')
        .send(codedError(request, 'rate_limit.exceeded', 'Too many requests'));
    }
    if (plan.kind === 'server-error') {
      const [code, message] =
        plan.status === 500
          ? ['internal.error', 'Internal server error']
          : ['service.unavailable', 'Service unavailable'];
      return reply
        .code(plan.status)
        .header('X-Sandbox-Fault', 'server-error')
        .send(codedError(request, code, message));
    }
    return undefined;
  });
}

function registerStats(app: FastifyInstance, ctx: SandboxContext): void {
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url;
    if (route?.startsWith(ADMIN_PREFIX)) return;
    ctx.stats.apiCall(`${request.method} ${route ?? '(unmatched)'}`, reply.statusCode);
  });
}

function publicBaseUrl(host: string, port: number): string {
  const visibleHost =
    host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
  return `http://${visibleHost}:${port}`;
}

/** Starts the double in this process. `port: 0` (the default) picks a free port. */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const resolved = resolveOptions(options);
  const callbackProblem = callbackUrlProblem(resolved.callbackUrl);
  if (callbackProblem) throw new Error(`callbackUrl: ${callbackProblem}`);

  const app = Fastify({ logger: { level: resolved.logLevel }, bodyLimit: 1024 * 1024 });
  let baseUrl = resolved.publicUrl ?? '';
  const scheduler = new Scheduler((error) => app.log.error({ err: error }, 'sandbox timer task failed'));
  const store = new SandboxStore(resolved.integratorId, {
    callbackUrl: resolved.callbackUrl,
    webhookSecret: resolved.webhookSecret,
  });
  const stats = new SandboxStats();
  const faults = new FaultInjector(resolved.faults, resolved.seed);
  const deliveryLog = new DeliveryLog(resolved.deliveryLogLimit);
  const http = new WebhookHttpClient();
  const webhooks = new WebhookDispatcher({
    config: resolved.webhooks,
    callbackUrl: () => store.callbackUrl,
    secret: () => store.webhookSecret,
    faults,
    scheduler,
    http,
    log: deliveryLog,
    stats,
    onWarning: (message, details) => app.log.warn(details, message),
  });
  const flow = new VerificationFlow(
    {
      store,
      stats,
      faults,
      scheduler,
      webhooks,
      processingDelayMs: resolved.processingDelayMs,
      hostedUrlFor: (sessionId) => `${baseUrl}${HOSTED_PAGE_PREFIX}/${sessionId}`,
    },
    resolved.autoDecide,
  );
  const tokens = new TokenIssuer({
    issuer: () => `${baseUrl}/auth/realms/caliza`,
    accessTtlSeconds: resolved.tokenTtlSeconds,
    refreshTtlSeconds: resolved.refreshTokenTtlSeconds,
    clientId: resolved.credentials.clientId,
    username: resolved.credentials.username,
    integratorId: resolved.integratorId,
  });
  const ctx: SandboxContext = {
    options: resolved,
    baseUrl: () => baseUrl,
    store,
    tokens,
    faults,
    stats,
    deliveryLog,
    webhooks,
    flow,
    scheduler,
  };

  registerBodyParsers(app);
  registerErrorHandling(app);
  registerApiFaults(app, ctx);
  registerStats(app, ctx);
  registerTokenRoutes(app, ctx);
  registerCoreApiRoutes(app, ctx);
  registerHostedRoutes(app, ctx);
  registerAdminRoutes(app, ctx);

  await app.listen({ port: resolved.port, host: resolved.host });
  const address = app.server.address() as AddressInfo;
  if (baseUrl === '') baseUrl = publicBaseUrl(resolved.host, address.port);

  let closing: Promise<void> | null = null;
  return {
    url: baseUrl,
    apiBaseUrl: `${baseUrl}${CORE_API_PREFIX}`,
    tokenUrl: `${baseUrl}${TOKEN_PATH}`,
    adminUrl: `${baseUrl}${ADMIN_PREFIX}`,
    credentials: { ...resolved.credentials },
    integratorId: resolved.integratorId,
    seed: resolved.seed,
    webhookSecret: () => store.webhookSecret,
    close: () => {
      closing ??= (async () => {
        scheduler.close();
        webhooks.close();
        http.destroy();
        await app.close();
      })();
      return closing;
    },
  };
}
