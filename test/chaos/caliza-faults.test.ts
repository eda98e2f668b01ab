import { ChaosRig, mapLimit } from '../support/chaos-rig';
import { jsonLines, killAllWorkers } from '../support/chaos-worker';

const VERIFICATIONS = 40;

/**
 * Caliza misbehaves the way APIs do: 30 % of calls (the token endpoint included) answer 5xx, 10 % answer 429
 * with `Retry-After`, and a share is slow, a few slower than the client's 1 s timeout, so a session may be
 * created by a call whose answer never arrives. The local activities retry; the create is idempotent (a
 * PENDING session is returned again), so each beneficiary still gets exactly one session.
 */
describe('chaos: Caliza answers 5xx, 429 and slowly', () => {
  let rig: ChaosRig;

  beforeAll(async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest');
    rig = await ChaosRig.start({ temporalAddress: address, workerEnv: { CALIZA_TIMEOUT_MS: '1000' } });
    await rig.startWorker();
  }, 60_000);

  afterAll(async () => {
    await killAllWorkers();
    await rig?.close();
  });

  it(`completes all ${VERIFICATIONS} correctly with one session each`, async () => {
    // The beneficiaries are set up before the faults start: they are the test's own calls.
    const planned = await rig.createBeneficiaries(VERIFICATIONS, 'faulty-api');
    const before = await rig.stats();
    await rig.setFaults({
      api: {
        serverErrorShare: 0.3,
        rateLimitShare: 0.1,
        retryAfterSeconds: 1,
        latencyShare: 0.25,
        latencyMinMs: 50,
        latencyMaxMs: 1_200,
        includeTokenEndpoint: true,
      },
    });
    rig.note('faults on');
    // Each beneficiary is decided as soon as its session exists, as a person would: the retries of one
    // verification do not hold up the others.
    await mapLimit(planned, VERIFICATIONS, async (p) => {
      await rig.startVerifications([p]);
      await rig.decide([p]);
    });
    rig.note('verifications started and decided');
    const results = await rig.outcomes(planned, 75_000);
    rig.note('results in');

    const { apiCalls, faults } = await rig.stats();
    // The worker's calls only: the test's own calls before the faults started are left out.
    let calls = 0;
    let serverErrors = 0;
    for (const [route, byStatus] of Object.entries(apiCalls)) {
      for (const [status, count] of Object.entries(byStatus)) {
        const worker = count - (before.apiCalls[route]?.[status] ?? 0);
        calls += worker;
        if (Number(status) >= 500) serverErrors += worker;
      }
    }
    const timeouts = jsonLines(rig.worker?.lines ?? []).filter((line) => line.reason === 'timeout');
    // A create that timed out may still have created the session; the retry must then get it back.
    const createTimeouts = timeouts.filter((line) => line.method === 'POST' && line.endpoint === 'api');
    await rig.verifyAndRecord('3-caliza-5xx-429-latency', planned, results, {
      calizaCalls: calls,
      calizaServerErrorShare: Number((serverErrors / calls).toFixed(2)),
      calizaClientTimeouts: timeouts.length,
      calizaCreateTimeouts: createTimeouts.length,
    });
    // The faults really happened, on both kinds of call the workflow makes.
    expect(faults.apiServerErrors).toBeGreaterThan(0);
    expect(faults.apiRateLimited).toBeGreaterThan(0);
    expect(faults.apiLatencyAdded).toBeGreaterThan(0);
  }, 150_000);
});
