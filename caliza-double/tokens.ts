import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/**
 * Keycloak-shaped JWTs (HS256 here; Keycloak signs RS256, which no client should verify anyway). Tokens are
 * stateless: validity is the signature plus `exp`, so checking one costs the same with a million issued.
 * Revoking every token replaces the signing key.
 */

type TokenUse = 'Bearer' | 'Refresh' | 'ID';

interface Claims {
  exp: number;
  iat: number;
  jti: string;
  iss: string;
  sub: string;
  typ: TokenUse;
  azp: string;
  sid: string;
  scope?: string;
  preferred_username?: string;
  integrator_id?: string;
}

export interface TokenResponse {
  access_token: string;
  expires_in: number;
  refresh_expires_in: number;
  refresh_token: string;
  token_type: 'Bearer';
  id_token: string;
  'not-before-policy': number;
  session_state: string;
  scope: string;
}

export type TokenCheck =
  | { ok: true; subject: string; sessionState: string }
  | { ok: false; reason: 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'wrong_type' };

const SCOPE = 'openid email profile';

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

export class TokenIssuer {
  private key = randomBytes(32);
  private keyId = randomUUID();

  constructor(
    private readonly settings: {
      issuer: () => string;
      accessTtlSeconds: number;
      refreshTtlSeconds: number;
      clientId: string;
      username: string;
      integratorId: string;
    },
  ) {}

  issue(sessionState: string = randomUUID()): TokenResponse {
    const nowMs = Date.now();
    const base = {
      iat: Math.floor(nowMs / 1000),
      iss: this.settings.issuer(),
      sub: this.settings.integratorId,
      azp: this.settings.clientId,
      sid: sessionState,
    };
    // `exp` keeps the exact (possibly fractional) lifetime so sub-second TTLs work in tests.
    const expAt = (ttlSeconds: number): number => (nowMs + ttlSeconds * 1000) / 1000;
    const access = this.sign({
      ...base,
      exp: expAt(this.settings.accessTtlSeconds),
      jti: randomUUID(),
      typ: 'Bearer',
      scope: SCOPE,
      preferred_username: this.settings.username,
      integrator_id: this.settings.integratorId,
    });
    const refresh = this.sign({
      ...base,
      exp: expAt(this.settings.refreshTtlSeconds),
      jti: randomUUID(),
      typ: 'Refresh',
    });
    const id = this.sign({
      ...base,
      exp: expAt(this.settings.accessTtlSeconds),
      jti: randomUUID(),
      typ: 'ID',
      preferred_username: this.settings.username,
    });
    return {
      access_token: access,
      expires_in: Math.ceil(this.settings.accessTtlSeconds),
      refresh_expires_in: Math.ceil(this.settings.refreshTtlSeconds),
      refresh_token: refresh,
      token_type: 'Bearer',
      id_token: id,
      'not-before-policy': 0,
      session_state: sessionState,
      scope: SCOPE,
    };
  }

  checkAccessToken(authorization: string | undefined): TokenCheck {
    if (authorization === undefined || authorization.trim() === '') return { ok: false, reason: 'missing' };
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    if (!match?.[1]) return { ok: false, reason: 'malformed' };
    return this.check(match[1], 'Bearer');
  }

  checkRefreshToken(token: string): TokenCheck {
    return this.check(token, 'Refresh');
  }

  /** Every token issued so far stops working at once. */
  revokeAll(): void {
    this.key = randomBytes(32);
    this.keyId = randomUUID();
  }

  private sign(claims: Claims): string {
    const header = base64url(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: this.keyId }));
    const payload = base64url(JSON.stringify(claims));
    const signature = createHmac('sha256', this.key).update(`${header}.${payload}`).digest('base64url');
    return `${header}.${payload}.${signature}`;
  }

  private check(token: string, use: TokenUse): TokenCheck {
    const parts = token.split('.');
    if (parts.length !== 3) return { ok: false, reason: 'malformed' };
    const [header, payload, signature] = parts as [string, string, string];
    const expected = Buffer.from(
      createHmac('sha256', this.key).update(`${header}.${payload}`).digest('base64url'),
    );
    const received = Buffer.from(signature);
    if (expected.length !== received.length || !timingSafeEqual(expected, received)) {
      return { ok: false, reason: 'bad_signature' };
    }
    let claims: Claims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Claims;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (claims.typ !== use) return { ok: false, reason: 'wrong_type' };
    if (!(typeof claims.exp === 'number' && claims.exp * 1000 > Date.now()))
      return { ok: false, reason: 'expired' };
    return { ok: true, subject: claims.sub, sessionState: claims.sid };
  }
}
