import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import type { SandboxContext } from '../context';
import { codedError } from '../errors';
import { decisionTakenPage, messagePage, verificationPage } from '../hosted-page';
import { sessionView } from '../store';
import { HOSTED_PAGE_PREFIX } from '../undocumented-behaviour';

type SessionParams = { Params: { sessionId: string } };

const decisionSchema = z.object({
  decision: z.enum(['approve', 'reject'], { error: 'decision must be "approve" or "reject"' }),
  reason: z
    .string()
    .trim()
    .max(500)
    .optional()
    .transform((value) => (value === '' || value === undefined ? null : value)),
});

/** HTML for a browser, JSON when the caller asks for it (or posts JSON). */
function wantsJson(request: FastifyRequest): boolean {
  const accept = request.headers.accept ?? '';
  if (accept.includes('application/json') && !accept.includes('text/html')) return true;
  return (request.headers['content-type'] ?? '').startsWith('application/json');
}

function answer(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  json: unknown,
  html: () => string,
): FastifyReply {
  if (wantsJson(request)) return reply.code(status).send(json);
  return reply.code(status).type('text/html; charset=utf-8').send(html());
}

export function registerHostedRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  const pagePath = `${HOSTED_PAGE_PREFIX}/:sessionId`;

  const lookup = (request: FastifyRequest<SessionParams>, reply: FastifyReply) => {
    const session = ctx.store.findSession(request.params.sessionId);
    const beneficiary = session ? ctx.store.findBeneficiary(session.beneficiaryId) : undefined;
    if (!session || !beneficiary) {
      answer(
        request,
        reply,
        404,
        codedError(request, 'verification.not_found', 'Verification session not found'),
        () => messagePage('Not found', 'This verification link is not valid.'),
      );
      return undefined;
    }
    return { session, beneficiary };
  };

  app.get<SessionParams>(pagePath, async (request, reply) => {
    const found = lookup(request, reply);
    if (!found) return reply;
    return answer(request, reply, 200, sessionView(found.session), () =>
      verificationPage(found.session, found.beneficiary, `${HOSTED_PAGE_PREFIX}/${found.session.id}`),
    );
  });

  app.post<SessionParams>(pagePath, async (request, reply) => {
    const found = lookup(request, reply);
    if (!found) return reply;
    const parsed = decisionSchema.safeParse(request.body ?? {});
    if (!parsed.success) {
      const errors = parsed.error.issues.map((issue) => issue.message);
      return answer(request, reply, 400, { errors }, () =>
        messagePage('Invalid decision', errors.join('; ')),
      );
    }
    const result = ctx.flow.decide(found.session, parsed.data.decision, 'hosted-page', parsed.data.reason);
    if (!result.ok) {
      const message = `The verification session is ${result.session.status}; a decision can only be taken while it is PENDING`;
      return answer(request, reply, 409, codedError(request, 'verification.not_pending', message), () =>
        messagePage('Already decided', message),
      );
    }
    return answer(request, reply, 200, sessionView(result.session), () =>
      decisionTakenPage(result.session, found.beneficiary),
    );
  });
}
