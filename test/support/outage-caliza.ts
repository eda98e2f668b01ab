import { type FakeCalizaServer, type ScriptedResponse, sessionBody } from './fake-caliza-server';

/**
 * The ways Caliza goes wrong for a long time, as the worker sees them over HTTP:
 * - `hang`: the answer never comes (the worker's client times out);
 * - `rate-limited`: 429 with `Retry-After: 3600`;
 * - `unavailable`: a plain 503, no `Retry-After`;
 * - `auth`: 401 on every API call, also right after the client fetched a fresh token;
 * - `html`: a gateway's 200 with an HTML page instead of the session;
 * - `unknown-status`: the session with a status value the contract does not list (`EXPIRED`).
 */
export const FAULT_KINDS = ['hang', 'rate-limited', 'unavailable', 'auth', 'html', 'unknown-status'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
export type CalizaMode = 'ok' | FaultKind;

/** What Caliza's session of a beneficiary really is. */
export type SessionTruth = 'PENDING' | 'PROCESSING' | 'SUCCEEDED' | 'FAILED';

/** API requests one attempt of a call costs at Caliza: a 401 is refreshed and sent once more. */
export function requestsPerAttempt(mode: CalizaMode): number {
  return mode === 'auth' ? 2 : 1;
}

export function verificationPath(beneficiaryId: string): string {
  return `/v1/beneficiaries/${encodeURIComponent(beneficiaryId)}/verification`;
}

function faultAnswer(kind: FaultKind, beneficiaryId: string): ScriptedResponse {
  switch (kind) {
    case 'hang':
      // Far beyond the worker's client timeout; the fake drops the timer when the client gives up.
      return { delayMs: 6 * 60 * 60_000, status: 200, body: sessionBody(beneficiaryId) };
    case 'rate-limited':
      return {
        status: 429,
        headers: { 'Retry-After': '3600' },
        body: { code: 'rate_limit.exceeded', message: 'Too many requests' },
      };
    case 'unavailable':
      return { status: 503, body: { code: 'service.unavailable', message: 'Service unavailable' } };
    case 'auth':
      return {
        status: 401,
        headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
        body: { code: 'auth.unauthorized', message: 'Unauthorized' },
      };
    case 'html':
      return {
        status: 200,
        headers: { 'Content-Type': 'text/html; charset=utf-8' },
        rawBody: '<!doctype html><html><body><h1>We will be back soon</h1></body></html>',
      };
    case 'unknown-status':
      return { status: 200, body: sessionBody(beneficiaryId, { status: 'EXPIRED', verificationUrl: null }) };
  }
}

interface Script {
  mode: CalizaMode;
  session: SessionTruth;
}

/**
 * Per-beneficiary Caliza behaviour on a {@link FakeCalizaServer}: each beneficiary has a session whose
 * real status the test sets, and an answer mode (healthy, or one of the fault kinds). Both the create
 * (POST) and the read (GET) answer from them; the create returns the session as it is, like Caliza does
 * for a PENDING one.
 */
export class ScriptedSessions {
  private readonly scripts = new Map<string, Script>();

  constructor(readonly server: FakeCalizaServer) {}

  /** A beneficiary Caliza knows, healthy, its session PENDING unless told otherwise. */
  add(beneficiaryId: string, script: Partial<Script> = {}): this {
    this.scripts.set(beneficiaryId, { mode: 'ok', session: 'PENDING', ...script });
    return this.apply(beneficiaryId);
  }

  setMode(beneficiaryId: string, mode: CalizaMode): this {
    this.script(beneficiaryId).mode = mode;
    return this.apply(beneficiaryId);
  }

  setSession(beneficiaryId: string, session: SessionTruth): this {
    this.script(beneficiaryId).session = session;
    return this.apply(beneficiaryId);
  }

  mode(beneficiaryId: string): CalizaMode {
    return this.script(beneficiaryId).mode;
  }

  session(beneficiaryId: string): SessionTruth {
    return this.script(beneficiaryId).session;
  }

  /** API requests the worker sent for this beneficiary's session (create and read), answered or not. */
  calls(beneficiaryId: string): number {
    const path = verificationPath(beneficiaryId);
    return this.server.requests.filter((r) => r.path === path).length;
  }

  private script(beneficiaryId: string): Script {
    const script = this.scripts.get(beneficiaryId);
    if (!script) throw new Error(`no Caliza script for ${beneficiaryId}`);
    return script;
  }

  private apply(beneficiaryId: string): this {
    const { mode, session } = this.script(beneficiaryId);
    const answer: ScriptedResponse =
      mode === 'ok'
        ? {
            status: 200,
            body: sessionBody(beneficiaryId, {
              id: `session-${beneficiaryId}`,
              status: session,
              verificationUrl:
                session === 'PENDING' ? `https://verification.example.test/${beneficiaryId}` : null,
            }),
          }
        : faultAnswer(mode, beneficiaryId);
    const path = verificationPath(beneficiaryId);
    this.server.setDefault('POST', path, answer);
    this.server.setDefault('GET', path, answer);
    return this;
  }
}
