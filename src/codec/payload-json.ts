import type { Payload } from '@temporalio/common';
import { z } from 'zod';

/**
 * The proto-JSON form of `temporal.api.common.v1.Payloads` that the Temporal Web UI and CLI exchange with
 * a codec server: metadata values and data as base64.
 */
export const payloadsJsonSchema = z.object({
  payloads: z.array(
    z.object({
      metadata: z.record(z.string(), z.base64()).nullish(),
      data: z.base64().nullish(),
    }),
  ),
});

export type PayloadsJson = z.infer<typeof payloadsJsonSchema>;
type PayloadJson = PayloadsJson['payloads'][number];

export function payloadFromJson(json: PayloadJson): Payload {
  return {
    metadata: Object.fromEntries(
      Object.entries(json.metadata ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')]),
    ),
    data: Buffer.from(json.data ?? '', 'base64'),
  };
}

export function payloadToJson(payload: Payload): PayloadJson {
  return {
    metadata: Object.fromEntries(
      Object.entries(payload.metadata ?? {}).map(([key, value]) => [
        key,
        Buffer.from(value ?? new Uint8Array()).toString('base64'),
      ]),
    ),
    data: Buffer.from(payload.data ?? new Uint8Array()).toString('base64'),
  };
}
