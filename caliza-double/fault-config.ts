import { z } from 'zod';

const share = z.number().min(0).max(1);
const nonNegativeMs = z.number().int().min(0);

export const apiFaultsSchema = z.object({
  /** Share of API calls answered with a 5xx before they have any effect. */
  serverErrorShare: share,
  /** Statuses drawn from for those answers. */
  serverErrorStatuses: z.array(z.number().int().min(500).max(599)).min(1),
  /** Share of API calls answered 429 with `Retry-After`. */
  rateLimitShare: share,
  retryAfterSeconds: z.number().int().min(0),
  /** Share of API calls delayed by a latency drawn from [latencyMinMs, latencyMaxMs]. */
  latencyShare: share,
  latencyMinMs: nonNegativeMs,
  latencyMaxMs: nonNegativeMs,
  /** Whether the token endpoint suffers the same faults as `/core-api`. */
  includeTokenEndpoint: z.boolean(),
});

export const webhookFaultsSchema = z.object({
  /** Share of outcome events never delivered. */
  dropShare: share,
  /** Share of outcome events delivered twice (the same bytes, as a second independent delivery). */
  duplicateShare: share,
  /** Share of outcome events whose first attempt waits `delayMs`. */
  delayShare: share,
  delayMs: nonNegativeMs,
  /** Share of outcome events held back until a later event has been delivered (or `reorderMaxHoldMs`). */
  reorderShare: share,
  reorderMaxHoldMs: nonNegativeMs,
});

export const faultConfigSchema = z.object({
  api: apiFaultsSchema,
  webhooks: webhookFaultsSchema,
  /** Every decision becomes this one, whatever the person or caller chose. */
  forceOutcome: z.enum(['approve', 'reject']).nullable(),
});

export type ApiFaults = z.infer<typeof apiFaultsSchema>;
export type WebhookFaults = z.infer<typeof webhookFaultsSchema>;
export type FaultConfig = z.infer<typeof faultConfigSchema>;

/** A partial update: any subset of fields, merged into the current config. */
export const faultConfigPatchSchema = z
  .object({
    api: apiFaultsSchema.partial(),
    webhooks: webhookFaultsSchema.partial(),
    forceOutcome: z.enum(['approve', 'reject']).nullable(),
  })
  .partial()
  .strict();

export type FaultConfigPatch = z.infer<typeof faultConfigPatchSchema>;

export const NO_FAULTS: FaultConfig = {
  api: {
    serverErrorShare: 0,
    serverErrorStatuses: [500, 502, 503],
    rateLimitShare: 0,
    retryAfterSeconds: 1,
    latencyShare: 0,
    latencyMinMs: 0,
    latencyMaxMs: 0,
    includeTokenEndpoint: false,
  },
  webhooks: {
    dropShare: 0,
    duplicateShare: 0,
    delayShare: 0,
    delayMs: 1_000,
    reorderShare: 0,
    reorderMaxHoldMs: 2_000,
  },
  forceOutcome: null,
};

export function mergeFaultConfig(base: FaultConfig, patch: FaultConfigPatch): FaultConfig {
  const merged: FaultConfig = {
    api: { ...base.api, ...patch.api },
    webhooks: { ...base.webhooks, ...patch.webhooks },
    forceOutcome: patch.forceOutcome === undefined ? base.forceOutcome : patch.forceOutcome,
  };
  // Re-validate the whole so cross-field rules hold after a partial update.
  return checkFaultConfig(merged);
}

export function checkFaultConfig(config: FaultConfig): FaultConfig {
  const parsed = faultConfigSchema.parse(config);
  if (parsed.api.latencyMaxMs < parsed.api.latencyMinMs) {
    throw new z.ZodError([
      {
        code: 'custom',
        path: ['api', 'latencyMaxMs'],
        message: 'latencyMaxMs must be at least latencyMinMs',
        input: parsed.api.latencyMaxMs,
      },
    ]);
  }
  return parsed;
}
