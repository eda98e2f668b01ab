import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { validateCreateBeneficiary } from '../beneficiary-schema';
import { callbackUrlProblem } from '../callback-url';
import type { SandboxContext } from '../context';
import { CORE_API_PREFIX, sendCoded, sendNoSession, sendValidation } from '../errors';
import { newSecret } from '../ids';
import { beneficiaryView, sessionView, type BeneficiaryRecord } from '../store';
import { SUCCESS_STATUS } from '../undocumented-behaviour';

type IntegratorParams = { Params: { integratorId: string } };
type BeneficiaryParams = { Params: { beneficiaryId: string } };

const webhookConfigSchema = z.object({
  callbackUrl: z.string({
    error: (issue) =>
      issue.input === undefined || issue.input === null
        ? 'Callback url is required'
        : 'Callback url must be a string',
  }),
});

const TOKEN_PROBLEMS: Record<string, string> = {
  malformed: 'Malformed or unsupported Authorization header',
  bad_signature: 'Invalid token signature',
  expired: 'Jwt expired',
  wrong_type: 'Token is not an access token',
};

function unauthorized(reply: FastifyReply, reason: string): FastifyReply {
  const header =
    reason === 'missing'
      ? 'Bearer'
      : `Bearer error="invalid_token", error_description="${TOKEN_PROBLEMS[reason] ?? 'Invalid token'}"`;
  return reply.code(401).header('WWW-Authenticate', header).send();
}

function integratorView(ctx: SandboxContext): Record<string, unknown> {
  return {
    id: ctx.store.integratorId,
    name: 'Sandbox Integrator',
    address: {
      streetOne: '1600 Pennsylvania Avenue NW',
      streetTwo: null,
      geolocation: null,
      city: 'Washington',
      zipcode: '20500',
      state: 'DC',
      country: 'US',
    },
    document: '34567892000795',
    telephones: ['+12025550100'],
    contract: { price: 100, transactionFee: 0, transactionFeeMode: 'FIXED' },
    files: null,
    active: true,
    callbackUrl: ctx.store.callbackUrl,
    contactEmails: [ctx.options.credentials.username],
    credentials: { clientId: ctx.options.credentials.clientId },
  };
}

/** Caliza's Core API under `/core-api`, behind a bearer token. */
export function registerCoreApiRoutes(app: FastifyInstance, ctx: SandboxContext): void {
  app.register(
    async (api) => {
      api.addHook('onRequest', async (request, reply) => {
        const check = ctx.tokens.checkAccessToken(request.headers.authorization);
        if (!check.ok) return unauthorized(reply, check.reason);
        return undefined;
      });

      api.setNotFoundHandler((request, reply) =>
        sendCoded(request, reply, 404, 'resource.not_found', 'No handler found for this path'),
      );

      const withIntegrator = (request: FastifyRequest<IntegratorParams>, reply: FastifyReply): boolean => {
        if (request.params.integratorId === ctx.store.integratorId) return true;
        sendCoded(request, reply, 404, 'integrator.not_found', 'Integrator not found');
        return false;
      };

      const withBeneficiary = (
        request: FastifyRequest<BeneficiaryParams>,
        reply: FastifyReply,
      ): BeneficiaryRecord | undefined => {
        const beneficiary = ctx.store.findBeneficiary(request.params.beneficiaryId);
        if (!beneficiary) sendCoded(request, reply, 404, 'beneficiary.not_found', 'Beneficiary not found');
        return beneficiary;
      };

      api.get('/v1/integrators/me', async () => integratorView(ctx));

      api.get<IntegratorParams>('/v1/integrators/:integratorId/webhooks', async (request, reply) => {
        if (!withIntegrator(request, reply)) return reply;
        return { integratorId: ctx.store.integratorId, callbackUrl: ctx.store.callbackUrl };
      });

      api.patch<IntegratorParams>('/v1/integrators/:integratorId/webhooks', async (request, reply) => {
        if (!withIntegrator(request, reply)) return reply;
        const parsed = webhookConfigSchema.safeParse(request.body ?? {});
        if (!parsed.success)
          return sendValidation(
            reply,
            parsed.error.issues.map((issue) => issue.message),
          );
        const callbackUrl = parsed.data.callbackUrl.trim();
        const problem = callbackUrlProblem(callbackUrl);
        if (problem) return sendValidation(reply, [problem]);
        ctx.store.callbackUrl = callbackUrl;
        return { integratorId: ctx.store.integratorId, callbackUrl };
      });

      api.get<IntegratorParams>('/v1/integrators/:integratorId/webhook-secret', async (request, reply) => {
        if (!withIntegrator(request, reply)) return reply;
        return { secret: ctx.store.webhookSecret };
      });

      api.post<IntegratorParams>(
        '/v1/integrators/:integratorId/update-webhook-secret',
        async (request, reply) => {
          if (!withIntegrator(request, reply)) return reply;
          ctx.store.webhookSecret = newSecret();
          return reply.code(SUCCESS_STATUS.webhookSecretRotated).send({ secret: ctx.store.webhookSecret });
        },
      );

      api.post('/v1/beneficiaries', async (request, reply) => {
        const validation = validateCreateBeneficiary(request.body);
        if (!validation.ok) return sendValidation(reply, validation.errors);
        const input = validation.value;
        if (input.integratorId !== undefined && input.integratorId !== ctx.store.integratorId) {
          return sendValidation(reply, ['Integrator id does not match the authenticated integrator']);
        }
        if (ctx.store.callbackUrl === '') {
          return sendCoded(
            request,
            reply,
            412,
            'callback_url.not_set',
            'A webhook callback URL must be configured before creating beneficiaries',
          );
        }
        if (ctx.store.hasIntegratorBeneficiaryId(input.integratorBeneficiaryId)) {
          return sendCoded(
            request,
            reply,
            409,
            'beneficiary.conflict',
            `A beneficiary with integratorBeneficiaryId ${input.integratorBeneficiaryId} already exists`,
          );
        }
        const record = ctx.store.createBeneficiary({
          integratorBeneficiaryId: input.integratorBeneficiaryId,
          type: input.type,
          person: input.type === 'INDIVIDUAL' ? input.person : null,
          business: input.type === 'BUSINESS' ? input.business : null,
        });
        return reply.code(SUCCESS_STATUS.beneficiaryCreated).send(beneficiaryView(record));
      });

      api.get<BeneficiaryParams>('/v1/beneficiaries/:beneficiaryId', async (request, reply) => {
        const beneficiary = withBeneficiary(request, reply);
        return beneficiary ? beneficiaryView(beneficiary) : reply;
      });

      api.post<BeneficiaryParams>('/v1/beneficiaries/:beneficiaryId/verification', async (request, reply) => {
        const beneficiary = withBeneficiary(request, reply);
        if (!beneficiary) return reply;
        const { session, created } = ctx.flow.requestSession(beneficiary);
        return reply
          .code(created ? SUCCESS_STATUS.sessionCreated : SUCCESS_STATUS.sessionReturned)
          .send(sessionView(session));
      });

      api.get<BeneficiaryParams>('/v1/beneficiaries/:beneficiaryId/verification', async (request, reply) => {
        const beneficiary = withBeneficiary(request, reply);
        if (!beneficiary) return reply;
        const session = ctx.store.currentSession(beneficiary);
        if (!session) {
          return sendNoSession(request, reply);
        }
        return sessionView(session);
      });
    },
    { prefix: CORE_API_PREFIX },
  );
}
