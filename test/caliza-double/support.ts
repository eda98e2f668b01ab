import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startSandbox, type SandboxHandle } from '../../caliza-double/server';
import type { SandboxOptions } from '../../caliza-double/options';

/** Small delays everywhere so the suite stays fast; each test can override. */
export function testOptions(overrides: SandboxOptions = {}): SandboxOptions {
  return {
    seed: 42,
    processingDelayMs: 20,
    ...overrides,
    webhooks: { timeoutMs: 500, maxAttempts: 3, baseDelayMs: 20, maxDelayMs: 200, ...overrides.webhooks },
  };
}

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  text: string;
  json: T;
}

async function toAnswer<T>(response: Response): Promise<HttpAnswer<T>> {
  const text = await response.text();
  let json: unknown = undefined;
  if (text !== '' && (response.headers.get('content-type') ?? '').includes('json')) json = JSON.parse(text);
  return { status: response.status, headers: response.headers, text, json: json as T };
}

export async function request<T = unknown>(
  url: string,
  init: {
    method?: string;
    token?: string;
    json?: unknown;
    form?: Record<string, string>;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...init.headers };
  let body: string | undefined;
  if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  if (init.form !== undefined) {
    headers['content-type'] = 'application/x-www-form-urlencoded';
    body = new URLSearchParams(init.form).toString();
  }
  const response = await fetch(url, {
    method: init.method ?? (body === undefined ? 'GET' : 'POST'),
    headers,
    body,
  });
  return toAnswer<T>(response);
}

export interface TokenBody {
  access_token: string;
  expires_in: number;
  refresh_expires_in: number;
  refresh_token: string;
  token_type: string;
  id_token: string;
  'not-before-policy': number;
  session_state: string;
  scope: string;
}

export function passwordForm(
  sandbox: SandboxHandle,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    grant_type: 'password',
    client_id: sandbox.credentials.clientId,
    client_secret: sandbox.credentials.clientSecret,
    username: sandbox.credentials.username,
    password: sandbox.credentials.password,
    ...overrides,
  };
}

export async function getToken(sandbox: SandboxHandle): Promise<string> {
  const answer = await request<TokenBody>(sandbox.tokenUrl, { form: passwordForm(sandbox) });
  if (answer.status !== 200) throw new Error(`token request failed: ${answer.status} ${answer.text}`);
  return answer.json.access_token;
}

/** A started double with a token, and shortcuts for the calls most tests make. */
export interface Harness {
  sandbox: SandboxHandle;
  token: string;
  api<T = unknown>(path: string, init?: { method?: string; json?: unknown }): Promise<HttpAnswer<T>>;
  admin<T = unknown>(path: string, init?: { method?: string; json?: unknown }): Promise<HttpAnswer<T>>;
  setCallbackUrl(url: string): Promise<void>;
  createBeneficiary(id?: string, type?: 'INDIVIDUAL' | 'BUSINESS'): Promise<BeneficiaryBody>;
  createSession(beneficiaryId: string): Promise<SessionBody>;
  close(): Promise<void>;
}

export interface BeneficiaryBody {
  id: string;
  integratorId: string;
  integratorBeneficiaryId: string;
  type: string;
  active: boolean;
  kycVerified: boolean;
  status: string;
  rejectionReason?: string;
  createdDate: string;
  person?: Record<string, unknown>;
  business?: Record<string, unknown>;
}

export interface SessionBody {
  id: string;
  beneficiaryId: string;
  type: string;
  verificationType: string;
  verificationUrl: string | null;
  status: string;
  createdDate: string;
  lastModifiedDate: string;
}

export interface CodedErrorBody {
  code: string;
  message: string;
  traceId: string;
  path: string;
}

export function individualPayload(integratorBeneficiaryId: string): Record<string, unknown> {
  return {
    integratorBeneficiaryId,
    type: 'INDIVIDUAL',
    person: {
      firstName: 'Jane',
      lastName: 'Doe',
      dateOfBirth: '1985-11-20',
      citizenship: 'US',
      idNumber: 'D1234567',
      email: 'jane@example.com',
      phoneNumber: '+12025550148',
      address: {
        streetOne: '1600 Pennsylvania Avenue NW',
        city: 'Washington',
        zipcode: '20500',
        state: 'DC',
        country: 'US',
      },
    },
  };
}

export function businessPayload(integratorBeneficiaryId: string): Record<string, unknown> {
  return {
    integratorBeneficiaryId,
    type: 'BUSINESS',
    business: {
      legalName: 'Acme Trading LLC',
      registrationNumber: '12-3456789',
      incorporationDate: '2015-03-01',
      incorporationCountry: 'US',
      email: 'ops@acme.example',
      phoneNumber: '+12025550199',
      address: {
        streetOne: '1 Market St',
        city: 'San Francisco',
        zipcode: '94105',
        state: 'CA',
        country: 'US',
      },
      contacts: [{ firstName: 'Ann', lastName: 'Lee', email: 'ann@acme.example' }],
    },
  };
}

let beneficiaryCounter = 0;

export async function startHarness(options: SandboxOptions = {}): Promise<Harness> {
  const sandbox = await startSandbox(testOptions(options));
  const token = await getToken(sandbox);
  const harness: Harness = {
    sandbox,
    token,
    api: (path, init = {}) => request(`${sandbox.apiBaseUrl}${path}`, { ...init, token }),
    admin: (path, init = {}) => request(`${sandbox.adminUrl}${path}`, init),
    async setCallbackUrl(url) {
      const answer = await harness.api(`/v1/integrators/${sandbox.integratorId}/webhooks`, {
        method: 'PATCH',
        json: { callbackUrl: url },
      });
      if (answer.status !== 200) throw new Error(`setting the callback URL failed: ${answer.status}`);
    },
    async createBeneficiary(id, type = 'INDIVIDUAL') {
      beneficiaryCounter += 1;
      const externalId = id ?? `user-${beneficiaryCounter}`;
      const payload = type === 'INDIVIDUAL' ? individualPayload(externalId) : businessPayload(externalId);
      const answer = await harness.api<BeneficiaryBody>('/v1/beneficiaries', { json: payload });
      if (answer.status !== 201)
        throw new Error(`create beneficiary failed: ${answer.status} ${answer.text}`);
      return answer.json;
    },
    async createSession(beneficiaryId) {
      const answer = await harness.api<SessionBody>(`/v1/beneficiaries/${beneficiaryId}/verification`, {
        method: 'POST',
        json: {},
      });
      if (answer.status !== 201 && answer.status !== 200) {
        throw new Error(`create session failed: ${answer.status} ${answer.text}`);
      }
      return answer.json;
    },
    close: () => sandbox.close(),
  };
  return harness;
}

export interface ReceivedWebhook {
  at: number;
  headers: http.IncomingHttpHeaders;
  rawBody: Buffer;
  body: Record<string, unknown>;
}

/** What the receiver does with the n-th request (0-based): answer a status (maybe later), or never answer. */
export type Responder = (index: number) => number | 'hang' | Promise<number>;

/** A local webhook endpoint that records every request it gets. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  private readonly server: http.Server;
  private waiters: Array<() => void> = [];
  url = '';

  constructor(private responder: Responder = () => 200) {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const rawBody = Buffer.concat(chunks);
        const index = this.received.length;
        this.received.push({
          at: Date.now(),
          headers: req.headers,
          rawBody,
          body: JSON.parse(rawBody.toString('utf8')) as Record<string, unknown>,
        });
        for (const wake of this.waiters) wake();
        const action = this.responder(index);
        if (action === 'hang') return;
        void Promise.resolve(action).then((status) =>
          res.writeHead(status, { 'content-type': 'text/plain' }).end('ok'),
        );
      });
    });
  }

  respondWith(responder: Responder): void {
    this.responder = responder;
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/caliza/webhooks`;
    return this;
  }

  /** Resolves once `count` requests have arrived; fails after `timeoutMs`. */
  waitFor(count: number, timeoutMs = 3_000): Promise<ReceivedWebhook[]> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        if (this.received.length < count) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((waiter) => waiter !== wake);
        resolve(this.received.slice(0, count));
        return true;
      };
      const wake = (): void => {
        check();
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((waiter) => waiter !== wake);
        reject(new Error(`expected ${count} webhooks within ${timeoutMs} ms, got ${this.received.length}`));
      }, timeoutMs);
      if (!check()) this.waiters.push(wake);
    });
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Polls until `probe` returns a value other than undefined. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  timeoutMs = 3_000,
  everyMs = 10,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** Waits for a session to reach `status` (read through the public API). */
export async function sessionReaches(
  harness: Harness,
  beneficiaryId: string,
  status: string,
): Promise<SessionBody> {
  return eventually(async () => {
    const answer = await harness.api<SessionBody>(`/v1/beneficiaries/${beneficiaryId}/verification`);
    return answer.json.status === status ? answer.json : undefined;
  });
}

export const HEX24 = /^[0-9a-f]{24}$/;
