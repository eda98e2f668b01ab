import { ChaosRig } from '../support/chaos-rig';
import { killAllWorkers } from '../support/chaos-worker';

const VERIFICATIONS = 40;

/** Webhooks are a hint, never the only way to an outcome, and never a way to decide twice. */
describe('chaos: webhooks dropped, duplicated, delayed and reordered', () => {
  let rig: ChaosRig | null = null;

  afterEach(async () => {
    await killAllWorkers();
    await rig?.close();
    rig = null;
  });

  async function startRig(): Promise<ChaosRig> {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest');
    rig = await ChaosRig.start({ temporalAddress: address });
    await rig.startWorker();
    return rig;
  }

  it('decides every verification by polling when every webhook is dropped', async () => {
    const rig = await startRig();
    const planned = await rig.createBeneficiaries(VERIFICATIONS, 'dropped');
    await rig.setFaults({ webhooks: { dropShare: 1 } });
    await rig.startVerifications(planned);
    await rig.decide(planned);
    const results = await rig.outcomes(planned, 60_000);

    const figures = await rig.verifyAndRecord('4a-webhooks-dropped', planned, results);
    expect(figures.decidedBy).toEqual({ POLL: VERIFICATIONS });
    expect(figures.webhooks.dropped).toBe(VERIFICATIONS);
    expect(figures.receiver.accepted ?? 0).toBe(0);
  }, 90_000);

  it('decides once, correctly, when every webhook is duplicated and some are delayed and reordered', async () => {
    const rig = await startRig();
    const planned = await rig.createBeneficiaries(VERIFICATIONS, 'duplicated');
    await rig.setFaults({
      webhooks: {
        duplicateShare: 1,
        delayShare: 0.25,
        delayMs: 500,
        reorderShare: 0.5,
        reorderMaxHoldMs: 1_000,
      },
    });
    // Slower polling here, so that webhooks (and their duplicates) are what decides.
    await rig.startVerifications(planned, {
      polling: { initialIntervalMs: 3_000, multiplier: 2, maxIntervalMs: 6_000 },
    });
    await rig.decide(planned);
    const results = await rig.outcomes(planned, 60_000);
    // Every copy has reached the receiver before the counts are read (held-back copies may still be on
    // their way when the last outcome arrives).
    const stats = await rig.settledStats();
    expect(stats.pendingWebhookDeliveries).toBe(0);

    // The receiver answers a copy of an event Temporal already accepted itself (`duplicate`, no signal); a
    // copy that still reaches a running verification is counted there; one that comes after the outcome is
    // answered `already_ended` and starts nothing.
    const states = await Promise.all(planned.map((p) => rig.verifications.getState(p.id)));
    const countedByWorkflows = states.reduce((sum, state) => sum + state.duplicateEvents, 0);
    const figures = await rig.verifyAndRecord('4b-webhooks-duplicated-reordered', planned, results, {
      duplicatesCountedByWorkflows: countedByWorkflows,
    });
    expect(figures.faultsInjected.webhooksDuplicated).toBe(VERIFICATIONS);
    expect(figures.faultsInjected.webhooksReordered).toBeGreaterThan(0);
    expect(figures.receiver.duplicates).toBe(figures.receiver.duplicate);
    expect(countedByWorkflows).toBeLessThanOrEqual(VERIFICATIONS);
    expect(
      (figures.receiver.duplicate ?? 0) + countedByWorkflows + (figures.receiver.already_ended ?? 0),
    ).toBeGreaterThanOrEqual(VERIFICATIONS);
    expect(figures.decidedBy.WEBHOOK ?? 0).toBeGreaterThan(0);
  }, 90_000);
});
