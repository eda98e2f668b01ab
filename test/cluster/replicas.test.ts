import { freePort } from '../../dev/free-port';
import { DEFAULT_WEBHOOK_PATH } from '../../src/webhooks/config';
import { ChaosRig, RECEIVER_TEMPORAL_TIMEOUT_MS, WEBHOOK_SECRET, waitFor } from '../support/chaos-rig';
import { killAllWorkers, startServiceProcess, type WorkerProcess } from '../support/chaos-worker';
import { type BackendCounts, type WebhookBalancer, startWebhookBalancer } from '../support/webhook-balancer';

const VERIFICATIONS = 200;

/**
 * Two workers on one task queue and two receiver processes behind a balancer, all on the self-hosted
 * cluster. One worker and one receiver are SIGKILLed while webhooks are arriving: the other worker takes
 * over the killed one's workflows (their workflow tasks time out and are dispatched again), the balancer
 * sends the double's retries to the other receiver, and nothing is lost or decided twice.
 */
describe('two workers and two receivers on the cluster, one of each killed', () => {
  let rig: ChaosRig | null = null;
  let balancer: WebhookBalancer | null = null;

  afterAll(async () => {
    await killAllWorkers();
    await rig?.close();
    await balancer?.close();
  });

  async function startReceiver(port: number, address: string, taskQueue: string): Promise<WorkerProcess> {
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TEMPORAL_ADDRESS: address,
      TEMPORAL_NAMESPACE: 'default',
      TEMPORAL_TASK_QUEUE: taskQueue,
      WEBHOOK_HOST: '127.0.0.1',
      WEBHOOK_PORT: String(port),
      CALIZA_WEBHOOK_SECRETS: WEBHOOK_SECRET,
      WEBHOOK_TEMPORAL_TIMEOUT_MS: String(RECEIVER_TEMPORAL_TIMEOUT_MS),
      WEBHOOK_RETRY_AFTER_SECONDS: '1',
      LOG_LEVEL: 'info',
      // Receivers run side by side: each admin server on a free port.
      ADMIN_PORT: '0',
    };
    return startServiceProcess({
      script: 'src/webhooks/main.ts',
      env,
      readyMessage: 'webhook receiver listening',
    });
  }

  it(`finishes all ${VERIFICATIONS} once each when a worker and a receiver die mid-run`, async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest');
    const ports = [await freePort(), await freePort()];
    balancer = await startWebhookBalancer(
      ports.map((port) => `http://127.0.0.1:${port}`),
      DEFAULT_WEBHOOK_PATH,
    );
    rig = await ChaosRig.start({
      temporalAddress: address,
      callbackUrl: balancer.url,
      sandbox: { processingDelayMs: 300 },
    });
    const rigNow = rig;
    const receivers = await Promise.all(ports.map((port) => startReceiver(port, address, rigNow.taskQueue)));
    const workers = [await rig.startWorker(), await rig.startWorker()];
    const [doomedWorker, survivingWorker] = workers as [WorkerProcess, WorkerProcess];
    const [doomedReceiver, survivingReceiver] = receivers as [WorkerProcess, WorkerProcess];

    const planned = await rig.createBeneficiaries(VERIFICATIONS, 'replicas');
    await rig.startVerifications(planned, {}, 50);
    rig.note('verifications started on two workers');
    const half = VERIFICATIONS / 2;
    const deciding = rig.decide(planned.slice(0, half));
    // Webhooks follow each decision 300 ms later: both kills land while they are being delivered.
    const doomedAnsweredBeforeKill = await waitFor(
      'the first webhooks through the receiver to be killed',
      async () => {
        const answered = balancer?.counts[`http://127.0.0.1:${ports[0]}`]?.answered ?? 0;
        return answered >= 10 ? answered : undefined;
      },
      30_000,
      20,
    );
    await Promise.all([doomedWorker.kill(), doomedReceiver.kill()]);
    const killedAt = Date.now();
    rig.note('one worker and one receiver killed');
    await deciding;
    await rig.decide(planned.slice(half));

    const results = await rig.outcomes(planned, 120_000);
    const allResultsAfterKillMs = Date.now() - killedAt;
    rig.note('results in');
    // Every delivery settled: the double's retries found the surviving receiver.
    await waitFor(
      'the double to finish delivering',
      async () => ((await rig?.stats())?.pendingWebhookDeliveries === 0 ? true : undefined),
      30_000,
    );
    const deliveries = await rig.deliveryFigures();
    const countsOf = (port: number | undefined): BackendCounts =>
      balancer?.counts[`http://127.0.0.1:${port}`] ?? { answered: 0, refused: 0, broken: 0 };
    const [doomedCounts, survivingCounts] = [countsOf(ports[0]), countsOf(ports[1])];
    const states = await Promise.all(planned.map((p) => rigNow.verifications.getState(p.id)));
    const figures = await rig.verifyAndRecord('cluster-6-two-workers-two-receivers', planned, results, {
      workers: 2,
      receivers: 2,
      workerKills: 1,
      receiverKills: 1,
      allResultsAfterKillMs,
      answeredByKilledReceiver: doomedCounts.answered,
      answeredByKilledReceiverAtKill: doomedAnsweredBeforeKill,
      answeredBySurvivingReceiver: survivingCounts.answered,
      brokenByKill: doomedCounts.broken,
      refusedAfterKill: doomedCounts.refused,
      webhookAttempts: deliveries.attempts,
      acknowledgedOnRetry: deliveries.acknowledgedOnRetry,
      duplicatesCountedByWorkflows: states.reduce((sum, state) => sum + state.duplicateEvents, 0),
    });
    // Both receivers took deliveries, and the survivor took the ones refused by the dead one.
    expect(survivingCounts.answered).toBeGreaterThan(0);
    expect(doomedCounts.refused).toBeGreaterThan(0);
    // The survivors were never restarted.
    expect(survivingWorker.process.exitCode).toBeNull();
    expect(survivingReceiver.process.exitCode).toBeNull();
    expect(figures.extra.workerStarts).toBe(2);
  }, 240_000);
});
