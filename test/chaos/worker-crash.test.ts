import { ChaosRig, sleep, waitFor } from '../support/chaos-rig';
import { killAllWorkers } from '../support/chaos-worker';

const VERIFICATIONS = 200;

/**
 * The worker dies without warning (SIGKILL) while verifications are pending and their webhooks are
 * arriving, and once more while its replacement catches up. Temporal keeps every signal the receiver
 * delivered meanwhile; a new worker replays the histories and finishes each verification exactly once,
 * without asking Caliza for a second session.
 */
describe('chaos: the worker is killed while verifications are pending', () => {
  let rig: ChaosRig;

  beforeAll(async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest');
    rig = await ChaosRig.start({ temporalAddress: address, sandbox: { processingDelayMs: 300 } });
    await rig.startWorker();
  }, 60_000);

  afterAll(async () => {
    await killAllWorkers();
    await rig?.close();
  });

  it(`finishes all ${VERIFICATIONS} with the right outcome and one session each across two SIGKILLs`, async () => {
    const planned = await rig.createBeneficiaries(VERIFICATIONS, 'crash');
    rig.note('beneficiaries created');
    await rig.startVerifications(planned, {}, 50);
    rig.note('verifications started');
    const firstHalf = planned.slice(0, VERIFICATIONS / 2);
    const secondHalf = planned.slice(VERIFICATIONS / 2);

    // Decisions start, and webhooks follow 300 ms later: the kill lands while they are being processed.
    const deciding = rig.decide(firstHalf);
    await sleep(200);
    await rig.worker?.kill();
    rig.note('worker killed');
    await deciding;
    // With no worker at all, the receiver still gets every webhook durably into Temporal.
    await rig.decide(secondHalf);
    const whileDown = await waitFor(
      'every webhook acknowledged while no worker runs',
      async () => {
        const { webhooks } = await rig.stats();
        return webhooks.acknowledged >= VERIFICATIONS ? webhooks.acknowledged : undefined;
      },
      30_000,
    );

    rig.note(`${whileDown} webhooks acknowledged without a worker`);
    await rig.startWorker();
    rig.note('worker restarted');
    // Killed again while it catches up on the backlog, then started once more.
    const completedAtSecondKill = await waitFor(
      'the new worker to finish some verifications',
      async () => {
        const { count } = await rig.client.workflow.count(
          `TaskQueue = '${rig.taskQueue}' AND ExecutionStatus = 'Completed'`,
        );
        return count >= 10 ? count : undefined;
      },
      60_000,
      100,
    );
    await rig.worker?.kill();
    rig.note(`worker killed again with ${completedAtSecondKill} verifications completed`);
    await rig.startWorker();
    const results = await rig.outcomes(planned, 75_000);
    rig.note('results in');
    await rig.verifyAndRecord('1-worker-sigkill', planned, results, {
      workerKills: 2,
      completedAtSecondKill,
      webhooksAcknowledgedWithoutWorker: whileDown,
    });
  }, 150_000);
});
