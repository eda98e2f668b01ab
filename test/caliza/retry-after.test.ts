import {
  clampRetryAfter,
  MIN_RETRY_AFTER_MS,
  parseRetryAfter,
  MAX_RETRY_AFTER_MS,
} from '../../src/caliza/retry-after';

describe('parseRetryAfter', () => {
  const now = Date.parse('2025-01-15T12:00:00Z');

  it('reads delay-seconds and HTTP dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 120 ', now)).toBe(120_000);
    expect(parseRetryAfter('Wed, 15 Jan 2025 12:00:30 GMT', now)).toBe(30_000);
  });

  it('never gives less than a second: 0 and dates already past wait 1 s', () => {
    expect(MIN_RETRY_AFTER_MS).toBe(1000);
    expect(parseRetryAfter('0', now)).toBe(1000);
    expect(parseRetryAfter('Wed, 15 Jan 2025 11:59:58 GMT', now)).toBe(1000);
    expect(parseRetryAfter('Wed, 15 Jan 2025 12:00:00 GMT', now)).toBe(1000);
    expect(parseRetryAfter('Wed, 15 Jan 2025 12:00:00 GMT', now + 3_600_000)).toBe(1000);
  });

  it('never gives more than MAX_RETRY_AFTER_MS', () => {
    expect(parseRetryAfter('86400', now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('9'.repeat(400), now)).toBe(MAX_RETRY_AFTER_MS);
    expect(parseRetryAfter('Fri, 17 Jan 2025 12:00:00 GMT', now)).toBe(MAX_RETRY_AFTER_MS);
  });

  it.each([undefined, '', '   ', 'soon', '1.5', '-3', '1 2'])('ignores %p', (value) => {
    expect(parseRetryAfter(value, now)).toBeUndefined();
  });
});

describe('clampRetryAfter', () => {
  it.each([
    [0, 1000],
    [-5000, 1000],
    [Number.NaN, 1000],
    [999, 1000],
    [1000, 1000],
    [4500, 4500],
    [MAX_RETRY_AFTER_MS + 1, MAX_RETRY_AFTER_MS],
    [Number.POSITIVE_INFINITY, MAX_RETRY_AFTER_MS],
  ])('brings %p to %p', (ms, expected) => {
    expect(clampRetryAfter(ms)).toBe(expected);
  });
});
