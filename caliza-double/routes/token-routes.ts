import type { FastifyInstance, FastifyReply } from 'fastify';
import { timingSafeEqual } from 'node:crypto';
import type { SandboxContext } from '../context';

export const TOKEN_PATH = '/auth/realms/caliza/protocol/openid-connect/token';

function sameSecret(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

function oauthError(reply: FastifyReply, status: number, error: string, description: string): FastifyReply {
  return reply
    .code(status)
    .header('Cache-Control', 'no-store')
    .send({ error, error_description: description });
}

function formField(body: unknown, name: string): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const value = (body as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/** Keycloak's token endpoint for the `caliza` realm: password grant, plus refresh (Keycloak standard). */
export function registerTokenRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.post(TOKEN_PATH, async (request, reply) => {
    const isForm = (request.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
    const body = isForm ? request.body : undefined;
    const grantType = formField(body, 'grant_type');
    if (grantType === undefined) {
      return oauthError(reply, 400, 'invalid_request', 'Missing form parameter: grant_type');
    }
    const credentials = ctx.options.credentials;
    const clientOk =
      sameSecret(formField(body, 'client_id'), credentials.clientId) &&
      sameSecret(formField(body, 'client_secret'), credentials.clientSecret);
    if (grantType !== 'password' && grantType !== 'refresh_token') {
      return oauthError(reply, 400, 'unsupported_grant_type', 'Unsupported grant_type');
    }
    if (!clientOk) {
      return oauthError(reply, 401, 'unauthorized_client', 'Invalid client or Invalid client credentials');
    }
    if (grantType === 'refresh_token') {
      const check = ctx.tokens.checkRefreshToken(formField(body, 'refresh_token') ?? '');
      if (!check.ok) return oauthError(reply, 400, 'invalid_grant', 'Invalid refresh token');
      return reply.header('Cache-Control', 'no-store').send(ctx.tokens.issue(check.sessionState));
    }
    const userOk =
      sameSecret(formField(body, 'username'), credentials.username) &&
      sameSecret(formField(body, 'password'), credentials.password);
    if (!userOk) return oauthError(reply, 401, 'invalid_grant', 'Invalid user credentials');
    return reply.header('Cache-Control', 'no-store').send(ctx.tokens.issue());
  });
}
