import { legacyDateTimeToIso, parseEnvelope, toVerificationEvent } from '../../src/webhooks/envelope';
import { RecentDeliveries } from '../../src/webhooks/recent-deliveries';
import {
  isTemporalUnavailable,
  TemporalTimeoutError,
  withinTimeout,
} from '../../src/webhooks/temporal-availability';

describe('webhook envelope', () => {
  const valid = {
    operation: 'BENEFICIARY_APPROVED',
    resourceId: 'b-1',
    createdAt: '2024-09-20T17:20:28.935890',
    integratorId: 'i-1',
    beneficiaryId: 'b-1',
    message: null,
    success: true,
    data: { nested: { anything: true } },
  };

  it('keeps the fields the workflow needs and drops the rest', () => {
    const parsed = parseEnvelope({ ...valid, unknownField: 'x' });
    expect(parsed).toEqual({
      ok: true,
      envelope: {
        operation: 'BENEFICIARY_APPROVED',
        beneficiaryId: 'b-1',
        createdAt: '2024-09-20T17:20:28.935890',
        success: true,
        message: null,
      },
    });
    if (parsed.ok) expect(toVerificationEvent(parsed.envelope)).toEqual(parsed.envelope);
  });

  it('turns only the two outcome operations into events', () => {
    for (const operation of ['TRANSACTION_COMPLETED', 'BENEFICIARY_KYC', 'beneficiary_approved']) {
      const parsed = parseEnvelope({ ...valid, operation });
      expect(parsed.ok && toVerificationEvent(parsed.envelope)).toBeNull();
    }
    const failed = parseEnvelope({
      ...valid,
      operation: 'BENEFICIARY_FAILED',
      success: false,
      message: 'why',
    });
    expect(failed.ok && toVerificationEvent(failed.envelope)).toMatchObject({
      operation: 'BENEFICIARY_FAILED',
      success: false,
      message: 'why',
    });
  });

  it.each<[string, unknown, string[]]>([
    ['a string', 'hello', ['(body)']],
    ['an array', [valid], ['(body)']],
    ['an over-long beneficiaryId', { ...valid, beneficiaryId: 'b'.repeat(257) }, ['beneficiaryId']],
    ['an empty createdAt', { ...valid, createdAt: '' }, ['createdAt']],
    ['a fractional legacy createdAt', { ...valid, createdAt: [2024, 3, 15, 19, 23.5] }, ['createdAt']],
    ['a legacy createdAt of four numbers', { ...valid, createdAt: [2024, 3, 15, 19] }, ['createdAt']],
    ['success as a number', { ...valid, success: 1 }, ['success']],
    ['several bad fields', { ...valid, operation: null, beneficiaryId: 7 }, ['operation', 'beneficiaryId']],
  ])('refuses %s, naming the fields', (_name, value, fields) => {
    expect(parseEnvelope(value)).toEqual({ ok: false, fields });
  });

  it.each<[number[], string]>([
    [[2024, 3, 15, 19, 23, 59, 401139000], '2024-03-15T19:23:59.401139'],
    [[2024, 3, 15, 19, 23, 59, 401000000], '2024-03-15T19:23:59.401'],
    [[2024, 3, 15, 19, 23, 59, 401139123], '2024-03-15T19:23:59.401139123'],
    [[2024, 3, 15, 19, 23, 59, 1000], '2024-03-15T19:23:59.000001'],
    [[2024, 3, 15, 19, 23, 59], '2024-03-15T19:23:59'],
    [[2024, 3, 15, 19, 23], '2024-03-15T19:23:00'],
    [[2024, 2, 29, 0, 0, 0, 0], '2024-02-29T00:00:00'],
  ])('normalises the legacy createdAt %j to %s', (parts, iso) => {
    expect(legacyDateTimeToIso(parts)).toBe(iso);
    const parsed = parseEnvelope({ ...valid, createdAt: parts });
    expect(parsed.ok && parsed.envelope.createdAt).toBe(iso);
  });

  it.each([
    [2023, 2, 29, 0, 0],
    [1900, 2, 29, 0, 0],
    [2024, 4, 31, 0, 0],
    [2024, 13, 1, 0, 0],
    [2024, 0, 1, 0, 0],
    [2024, 1, 1, 24, 0],
    [2024, 1, 1, 0, 60],
    [2024, 1, 1, 0, 0, 60],
    [2024, 1, 1, 0, 0, 0, 1_000_000_000],
    [0, 1, 1, 0, 0],
  ])('refuses the impossible legacy createdAt %j', (...parts) => {
    expect(legacyDateTimeToIso(parts)).toBeNull();
  });
});

describe('recent deliveries', () => {
  it('remembers at most its capacity, forgetting the least recently seen first', () => {
    const recent = new RecentDeliveries(2);
    expect(recent.seen('a')).toBe(false);
    expect(recent.seen('b')).toBe(false);
    expect(recent.seen('a')).toBe(true);
    expect(recent.seen('c')).toBe(false);
    expect(recent.size).toBe(2);
    expect(recent.seen('a')).toBe(true);
    expect(recent.seen('b')).toBe(false);
  });
});

describe('Temporal availability', () => {
  const grpc = (code: number) => Object.assign(new Error(`${code}`), { code });
  const wrapped = (cause: Error) => new Error('Failed to signalWithStart Workflow', { cause });

  it('treats unreachable, overloaded and timed-out calls as unavailable', () => {
    for (const code of [1, 4, 8, 10, 14]) expect(isTemporalUnavailable(wrapped(grpc(code)))).toBe(true);
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(isTemporalUnavailable(wrapped(refused))).toBe(true);
    expect(isTemporalUnavailable(new TemporalTimeoutError(100))).toBe(true);
  });

  it('treats refusals no retry can fix as errors', () => {
    for (const code of [3, 5, 7, 9, 12, 13, 16])
      expect(isTemporalUnavailable(wrapped(grpc(code)))).toBe(false);
    expect(isTemporalUnavailable(new Error('boom'))).toBe(false);
    expect(isTemporalUnavailable('not an error')).toBe(false);
  });

  it('bounds a call and clears its timer', async () => {
    await expect(withinTimeout(new Promise(() => undefined), 20)).rejects.toBeInstanceOf(
      TemporalTimeoutError,
    );
    await expect(withinTimeout(Promise.resolve('ok'), 10_000)).resolves.toBe('ok');
  });
});
