import { createHmac, timingSafeEqual } from 'node:crypto';

/** Header in which Caliza sends the webhook signature. */
export const SIGNATURE_HEADER = 'x-caliza-webhook-signature';

/** Base64 HMAC-SHA256 of the raw body, keyed with the secret string's UTF-8 bytes (Caliza's scheme). */
export function signWebhookBody(rawBody: Buffer | string, secret: string): string {
  return createHmac('sha256', secret).update(rawBody).digest('base64');
}

/**
 * True when `header` is the signature of `rawBody` under any of `secrets`. Every secret is checked, in
 * constant time, so neither the secret count position nor a byte mismatch shows in the timing.
 */
export function verifyWebhookSignature(
  rawBody: Buffer,
  header: string | undefined,
  secrets: readonly string[],
): boolean {
  if (header === undefined || header.length === 0 || header.length > 128) return false;
  const received = Buffer.from(header.trim());
  let valid = false;
  for (const secret of secrets) {
    const expected = Buffer.from(signWebhookBody(rawBody, secret));
    const sameLength = expected.length === received.length;
    // Compare against itself on a length mismatch so each secret costs the same.
    const match = timingSafeEqual(expected, sameLength ? received : expected) && sameLength;
    valid = valid || match;
  }
  return valid;
}
