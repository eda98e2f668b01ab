/**
 * Caliza writes three different time formats; each helper reproduces one of them from the wall clock.
 * Sub-millisecond digits come from the high-resolution clock, which is precise enough for ordering.
 */

function subMillisecondDigits(count: number): string {
  const nanosWithinMs = Number(process.hrtime.bigint() % 1_000_000n);
  return nanosWithinMs.toString().padStart(6, '0').slice(0, count);
}

/** Session timestamps: `2025-01-15T16:47:20.568Z`. */
export function isoMillis(now: number = Date.now()): string {
  return new Date(now).toISOString();
}

/** Beneficiary `createdDate`: `2025-01-15T16:47:20.568615486Z` (nanoseconds, with zone). */
export function isoNanos(now: number = Date.now()): string {
  return `${new Date(now).toISOString().slice(0, 23)}${subMillisecondDigits(6)}Z`;
}

/** Webhook `createdAt`: `2024-09-20T17:20:28.935890` (microseconds, UTC, no zone designator). */
export function zonelessMicros(now: number = Date.now()): string {
  return `${new Date(now).toISOString().slice(0, 23)}${subMillisecondDigits(3)}`;
}
