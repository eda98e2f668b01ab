import { randomBytes } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer. `body` is sent as JSON, `rawBody` as is; `destroy` drops the connection unanswered. */
export interface ScriptedResponse {
  status?: number;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
  delayMs?: number;
  destroy?: boolean;
}

export interface RecordedRequest {
  method: string;
  /** Path relative to the API base (`/v1/...`), or the token path, exactly as received (still encoded). */
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export interface FakeCalizaCredentials {
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
}

export interface FakeCalizaServerOptions {
  credentials?: Partial<FakeCalizaCredentials>;
  /** `expires_in` of issued tokens, in seconds. */
  expiresInS?: number;
  /** Delay of the token endpoint, so concurrent callers overlap. */
  tokenDelayMs?: number;
}

export const API_PREFIX = '/core-api';
export const TOKEN_PATH = '/auth/realms/caliza/protocol/openid-connect/token';

const DEFAULT_CREDENTIALS: FakeCalizaCredentials = {
  clientId: 'caliza-test-client',
  clientSecret: 'client-secret-Zx81kq0pT7',
  username: 'integrator@example.test',
  password: 'pa55-word-Qm93lLr2',
};

/** A session as Caliza returns it, including a field the contract does not carry. */
export function sessionBody(
  beneficiaryId: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    id: '6925dd986a93002882da640b',
    beneficiaryId,
    type: 'INDIVIDUAL',
    verificationType: 'INTERACTIVE',
    verificationUrl: 'https://verification.example.test/session/abc',
    status: 'PENDING',
    createdDate: '2025-01-15T16:47:20.568Z',
    lastModifiedDate: '2025-01-15T16:47:20.568Z',
    ...overrides,
  };
}

function routeKey(method: string, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/**
 * A scriptable stand-in for Caliza on 127.0.0.1: a password-grant token endpoint that issues, counts and
 * can expire tokens, and API routes answering from per-route queues (then a per-route default). API calls
 * without a currently valid bearer token get 401. Unscripted routes answer 404 `fake.unscripted`.
 */
export class FakeCalizaServer {
  readonly requests: RecordedRequest[] = [];
  /** Every access token handed out, in order. */
  readonly issuedTokens: string[] = [];
  readonly credentials: FakeCalizaCredentials;
  expiresInS: number;
  tokenDelayMs: number;

  private readonly validTokens = new Set<string>();
  private readonly queues = new Map<string, ScriptedResponse[]>();
  private readonly defaults = new Map<string, ScriptedResponse>();
  private readonly tokenQueue: ScriptedResponse[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();

  private constructor(
    private readonly server: Server,
    readonly origin: string,
    options: FakeCalizaServerOptions,
  ) {
    this.credentials = { ...DEFAULT_CREDENTIALS, ...options.credentials };
    this.expiresInS = options.expiresInS ?? 300;
    this.tokenDelayMs = options.tokenDelayMs ?? 0;
  }

  static async start(options: FakeCalizaServerOptions = {}): Promise<FakeCalizaServer> {
    let handler: (req: IncomingMessage, res: ServerResponse) => void = () => undefined;
    const server = createServer((req, res) => handler(req, res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const fake = new FakeCalizaServer(server, `http://127.0.0.1:${port}`, options);
    handler = (req, res) => fake.handle(req, res);
    return fake;
  }

  get apiBaseUrl(): string {
    return `${this.origin}${API_PREFIX}`;
  }

  get tokenUrl(): string {
    return `${this.origin}${TOKEN_PATH}`;
  }

  get tokenCalls(): number {
    return this.requestsTo('POST', TOKEN_PATH).length;
  }

  /** Env for `loadCalizaConfig` pointing at this server. */
  env(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
    return {
      CALIZA_API_BASE_URL: this.apiBaseUrl,
      CALIZA_CLIENT_ID: this.credentials.clientId,
      CALIZA_CLIENT_SECRET: this.credentials.clientSecret,
      CALIZA_USERNAME: this.credentials.username,
      CALIZA_PASSWORD: this.credentials.password,
      ...extra,
    };
  }

  /** Queue answers for one route, served in order before the route's default. */
  enqueue(method: string, path: string, ...responses: ScriptedResponse[]): this {
    const key = routeKey(method, path);
    this.queues.set(key, [...(this.queues.get(key) ?? []), ...responses]);
    return this;
  }

  /** The answer once the route's queue is empty. */
  setDefault(method: string, path: string, response: ScriptedResponse): this {
    this.defaults.set(routeKey(method, path), response);
    return this;
  }

  /** Queue answers for the token endpoint, served instead of issuing a token. */
  enqueueToken(...responses: ScriptedResponse[]): this {
    this.tokenQueue.push(...responses);
    return this;
  }

  /** Every token issued so far stops being accepted (as after a revocation or expiry). */
  expireTokens(): void {
    this.validTokens.clear();
  }

  requestsTo(method: string, path: string): RecordedRequest[] {
    return this.requests.filter((r) => r.method === method.toUpperCase() && r.path === path);
  }

  async close(): Promise<void> {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.server.closeAllConnections();
    await new Promise<void>((resolve, reject) => this.server.close((err) => (err ? reject(err) : resolve())));
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const path = url.startsWith(`${API_PREFIX}/`) ? url.slice(API_PREFIX.length) : url;
      const method = req.method ?? 'GET';
      const recorded: RecordedRequest = {
        method,
        path,
        headers: req.headers,
        body: Buffer.concat(chunks).toString(),
      };
      this.requests.push(recorded);
      if (method === 'POST' && path === TOKEN_PATH) {
        this.answer(req, res, this.tokenQueue.shift() ?? this.issueToken(recorded), this.tokenDelayMs);
        return;
      }
      const auth = req.headers.authorization ?? '';
      const token = auth.startsWith('Bearer ') ? auth.slice('Bearer '.length) : '';
      if (!this.validTokens.has(token)) {
        this.answer(
          req,
          res,
          { status: 401, headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } },
          0,
        );
        return;
      }
      const key = routeKey(method, path);
      const scripted = this.queues.get(key)?.shift() ?? this.defaults.get(key);
      this.answer(req, res, scripted ?? { status: 404, body: { code: 'fake.unscripted', message: key } }, 0);
    });
  }

  private issueToken(request: RecordedRequest): ScriptedResponse {
    const form = new URLSearchParams(request.body);
    const c = this.credentials;
    if (form.get('client_id') !== c.clientId || form.get('client_secret') !== c.clientSecret) {
      return {
        status: 401,
        body: { error: 'invalid_client', error_description: 'Invalid client credentials' },
      };
    }
    if (
      form.get('grant_type') !== 'password' ||
      form.get('username') !== c.username ||
      form.get('password') !== c.password
    ) {
      return { status: 401, body: { error: 'invalid_grant', error_description: 'Invalid user credentials' } };
    }
    const token = `eyJfake.${randomBytes(12).toString('hex')}.sig${this.issuedTokens.length + 1}`;
    this.issuedTokens.push(token);
    this.validTokens.add(token);
    return {
      status: 200,
      body: { access_token: token, expires_in: this.expiresInS, token_type: 'Bearer', scope: 'openid' },
    };
  }

  private answer(
    req: IncomingMessage,
    res: ServerResponse,
    scripted: ScriptedResponse,
    baseDelayMs: number,
  ): void {
    const send = (): void => {
      if (scripted.destroy === true) {
        req.socket.destroy();
        return;
      }
      const headers: Record<string, string> = { ...scripted.headers };
      let payload = scripted.rawBody;
      if (payload === undefined && scripted.body !== undefined) {
        payload = JSON.stringify(scripted.body);
        headers['Content-Type'] ??= 'application/json';
      }
      res.writeHead(scripted.status ?? 200, headers);
      res.end(payload);
    };
    const delay = baseDelayMs + (scripted.delayMs ?? 0);
    if (delay <= 0) {
      send();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (!res.destroyed) send();
    }, delay);
    this.timers.add(timer);
    // The client gave up (e.g. timed out): no reason to keep the timer.
    res.on('close', () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    });
  }
}
