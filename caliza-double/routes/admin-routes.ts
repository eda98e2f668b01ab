import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { SandboxContext } from '../context';
import { faultConfigPatchSchema, faultConfigSchema } from '../fault-config';
import { sendCoded, sendNoSession, sendValidation } from '../errors';
import { checkAutoDecide } from '../options';
import { beneficiaryView, sessionView } from '../store';
import { UNDOCUMENTED_BEHAVIOUR } from '../undocumented-behaviour';
import { TOKEN_PATH } from './token-routes';

export const ADMIN_PREFIX = '/__admin';

type BeneficiaryParams = { Params: { beneficiaryId: string } };

const decisionSchema = z.object({
  decision: z.enum(['approve', 'reject']),
  reason: z.string().trim().min(1).max(500).optional(),
});

const autoDecideSchema = z.object({
  minDelayMs: z.number().int().min(0),
  maxDelayMs: z.number().int().min(0),
  approveShare: z.number().min(0).max(1),
});

const deliveriesQuerySchema = z.object({
  beneficiaryId: z.string().optional(),
  afterSeq: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(100_000).optional(),
});

function issues(error: z.ZodError): string[] {
  return error.issues.map((issue) =>
    issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message,
  );
}

function invalid(reply: FastifyReply, error: unknown): FastifyReply {
  if (error instanceof z.ZodError) return sendValidation(reply, issues(error));
  return sendValidation(reply, [error instanceof Error ? error.message : String(error)]);
}

/** Controls for tests and benchmarks, kept apart from every Caliza path. No authentication: local use only. */
export function registerAdminRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.register(
    async (admin) => {
      const faultsView = () => ({
        seed: ctx.faults.seed,
        config: ctx.faults.current,
        counts: ctx.faults.counters,
      });

      admin.get('/info', async () => ({
        url: ctx.baseUrl(),
        apiBaseUrl: `${ctx.baseUrl()}/core-api`,
        tokenUrl: `${ctx.baseUrl()}${TOKEN_PATH}`,
        integratorId: ctx.store.integratorId,
        credentials: ctx.options.credentials,
        webhookSecret: ctx.store.webhookSecret,
        callbackUrl: ctx.store.callbackUrl,
        tokenTtlSeconds: ctx.options.tokenTtlSeconds,
        processingDelayMs: ctx.options.processingDelayMs,
        webhooks: ctx.options.webhooks,
        autoDecide: ctx.flow.autoDecide,
        seed: ctx.faults.seed,
      }));

      admin.get('/undocumented-behaviour', async () => UNDOCUMENTED_BEHAVIOUR);

      admin.get('/faults', async () => faultsView());

      admin.patch('/faults', async (request, reply) => {
        const parsed = faultConfigPatchSchema.safeParse(request.body ?? {});
        if (!parsed.success) return sendValidation(reply, issues(parsed.error));
        try {
          ctx.faults.update(parsed.data);
        } catch (error) {
          return invalid(reply, error);
        }
        return faultsView();
      });

      admin.put('/faults', async (request, reply) => {
        const parsed = faultConfigSchema.safeParse(request.body);
        if (!parsed.success) return sendValidation(reply, issues(parsed.error));
        try {
          ctx.faults.replace(parsed.data);
        } catch (error) {
          return invalid(reply, error);
        }
        return faultsView();
      });

      admin.post('/reset', async () => {
        ctx.faults.reset();
        ctx.stats.reset();
        ctx.deliveryLog.clear();
        return faultsView();
      });

      admin.get('/auto-decide', async () => ({ autoDecide: ctx.flow.autoDecide }));

      admin.put('/auto-decide', async (request, reply) => {
        const parsed = autoDecideSchema.safeParse(request.body);
        if (!parsed.success) return sendValidation(reply, issues(parsed.error));
        try {
          ctx.flow.autoDecide = checkAutoDecide(parsed.data);
        } catch (error) {
          return invalid(reply, error);
        }
        return { autoDecide: ctx.flow.autoDecide };
      });

      admin.delete('/auto-decide', async () => {
        ctx.flow.autoDecide = null;
        return { autoDecide: null };
      });

      admin.get<BeneficiaryParams>('/beneficiaries/:beneficiaryId', async (request, reply) => {
        const beneficiary = ctx.store.findBeneficiary(request.params.beneficiaryId);
        if (!beneficiary)
          return sendCoded(request, reply, 404, 'beneficiary.not_found', 'Beneficiary not found');
        return {
          beneficiary: beneficiaryView(beneficiary),
          sessions: ctx.store.sessionsHistory(beneficiary).map((session) => ({
            ...sessionView(session),
            hostedUrl: session.hostedUrl,
            decision: session.decision,
          })),
        };
      });

      admin.post<BeneficiaryParams>('/beneficiaries/:beneficiaryId/decision', async (request, reply) => {
        const parsed = decisionSchema.safeParse(request.body ?? {});
        if (!parsed.success) return sendValidation(reply, issues(parsed.error));
        const beneficiary = ctx.store.findBeneficiary(request.params.beneficiaryId);
        if (!beneficiary)
          return sendCoded(request, reply, 404, 'beneficiary.not_found', 'Beneficiary not found');
        const session = ctx.store.currentSession(beneficiary);
        if (!session) {
          return sendNoSession(request, reply);
        }
        const result = ctx.flow.decide(session, parsed.data.decision, 'admin', parsed.data.reason ?? null);
        if (!result.ok) {
          return sendCoded(
            request,
            reply,
            409,
            'verification.not_pending',
            `The verification session is ${session.status}; a decision can only be taken while it is PENDING`,
          );
        }
        return reply.code(202).send({ ...sessionView(session), decision: session.decision });
      });

      admin.get('/stats', async () => ({
        ...ctx.stats.snapshot(),
        state: ctx.store.counts(),
        pendingWebhookDeliveries: ctx.webhooks.pending,
        faults: ctx.faults.counters,
      }));

      admin.get('/webhooks/deliveries', async (request, reply) => {
        const parsed = deliveriesQuerySchema.safeParse(request.query);
        if (!parsed.success) return sendValidation(reply, issues(parsed.error));
        return { entries: ctx.deliveryLog.query(parsed.data) };
      });

      admin.post('/webhooks/release-held', async () => ({ released: ctx.webhooks.releaseAllHeld() }));

      admin.post('/tokens/revoke', async (_request, reply) => {
        ctx.tokens.revokeAll();
        return reply.code(204).send();
      });
    },
    { prefix: ADMIN_PREFIX },
  );
}
