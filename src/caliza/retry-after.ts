/** No `Retry-After` holds a call back longer than this. */
export const MAX_RETRY_AFTER_MS = 60 * 60_000;

/** The shortest wait a `Retry-After` stands for: `0`, or a date the local clock has passed, is not "now". */
export const MIN_RETRY_AFTER_MS = 1000;

/** A wait Caliza asked for, brought within [{@link MIN_RETRY_AFTER_MS}, {@link MAX_RETRY_AFTER_MS}]. */
export function clampRetryAfter(ms: number): number {
  if (Number.isNaN(ms)) return MIN_RETRY_AFTER_MS;
  return Math.min(MAX_RETRY_AFTER_MS, Math.max(MIN_RETRY_AFTER_MS, ms));
}

/**
 * `Retry-After` as milliseconds from `now`: either delay-seconds or an HTTP date (RFC 9110 §10.2.3),
 * clamped by {@link clampRetryAfter} (`0` and past dates give 1 s, anything past an hour gives an hour).
 * Returns undefined when absent or unparseable.
 */
export function parseRetryAfter(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed.length === 0) return undefined;
  if (/^\d+$/.test(trimmed)) return clampRetryAfter(Number(trimmed) * 1000);
  // Only date-like text: Date.parse accepts odd inputs such as "1" or "x 2".
  if (!/[a-z]{3}/i.test(trimmed)) return undefined;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : clampRetryAfter(at - now);
}
