import {
  startService,
  startServices,
  stopService,
  stopServices,
  waitUntilServing,
} from '../../scripts/cluster/cluster';
import { clusterLayout, type TemporalService } from '../../scripts/cluster/layout';
import { startPostgres, stopPostgres } from '../../scripts/cluster/postgres';
import { ChaosRig, sleep } from '../support/chaos-rig';
import { killAllWorkers } from '../support/chaos-worker';

const VERIFICATIONS = 200;
/** How long the broken part stays down. */
const OUTAGE_MS = 4_000;

const layout = clusterLayout();

interface Fault {
  /** What breaks; the scenario's figures name it. */
  what: string;
  break(): Promise<void>;
  /** Brings the broken part back; resolves once the cluster serves again. */
  repair(): Promise<void>;
}

const killAndRestart = (service: TemporalService): Fault => ({
  what: `${service} SIGKILLed`,
  break: () => stopService(layout, service, 'SIGKILL'),
  repair: async () => {
    startService(layout, service);
    await waitUntilServing(layout);
  },
});

/**
 * One part of the self-hosted cluster fails while 200 verifications are pending: a third are decided
 * before, a third have their webhooks in flight as it fails, and a third are decided while it is down.
 * The worker and the receiver keep running throughout; the receiver answers 503 to what it cannot hand
 * to Temporal and the double delivers it again.
 */
describe('chaos on the self-hosted cluster', () => {
  let rig: ChaosRig | null = null;

  afterEach(async () => {
    await killAllWorkers();
    await rig?.close();
    rig = null;
    // Whatever a failed scenario left down comes back for the next one.
    await startPostgres(layout);
    await startServices(layout);
  }, 120_000);

  async function survives(scenario: string, fault: Fault): Promise<void> {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest');
    rig = await ChaosRig.start({ temporalAddress: address });
    await rig.startWorker();
    const planned = await rig.createBeneficiaries(VERIFICATIONS, scenario);
    await rig.startVerifications(planned, {}, 50);
    rig.note('verifications started');
    const third = Math.ceil(VERIFICATIONS / 3);
    const [before, during, after] = [
      planned.slice(0, third),
      planned.slice(third, 2 * third),
      planned.slice(2 * third),
    ];
    await rig.decide(before);
    await sleep(300);
    // The double sends these webhooks 100 ms after each decision: the fault lands among them.
    await rig.decide(during);
    const outageStarted = Date.now();
    await fault.break();
    rig.note(`${fault.what}`);
    await rig.decide(after);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    const repairStarted = Date.now();
    await fault.repair();
    const outageMs = Date.now() - outageStarted;
    const repairMs = Date.now() - repairStarted;
    rig.note('repaired');

    const results = await rig.outcomes(planned, 120_000);
    const resultsInMs = Date.now() - repairStarted;
    rig.note('results in');
    const deliveries = await rig.deliveryFigures();
    await rig.verifyAndRecord(scenario, planned, results, {
      fault: fault.what,
      outageMs,
      repairMs,
      allResultsAfterRepairMs: resultsInMs,
      webhookAttempts: deliveries.attempts,
      refusedWith503: deliveries.refusedWith503,
      slowestRefusalMs: deliveries.slowestRefusalMs,
      acknowledgedOnRetry: deliveries.acknowledgedOnRetry,
    });
    // The same worker process rode it out, and the receiver never kept the double waiting past its window.
    expect(rig.worker?.process.exitCode).toBeNull();
    expect(rig.workerStarts).toBe(1);
    expect(deliveries.slowestRefusalMs).toBeLessThan(5_000);
  }

  it(
    'loses nothing when the history process is SIGKILLed and started again',
    () => survives('cluster-1-history-sigkill', killAndRestart('history')),
    240_000,
  );

  it(
    'loses nothing when the matching process is SIGKILLed and started again',
    () => survives('cluster-2-matching-sigkill', killAndRestart('matching')),
    240_000,
  );

  it(
    'loses nothing when the frontend restarts',
    () =>
      survives('cluster-3-frontend-restart', {
        what: 'frontend stopped (SIGTERM)',
        break: () => stopService(layout, 'frontend'),
        repair: async () => {
          startService(layout, 'frontend');
          await waitUntilServing(layout);
        },
      }),
    240_000,
  );

  it(
    'loses nothing when PostgreSQL crashes and restarts',
    () =>
      survives('cluster-4-postgres-restart', {
        what: 'PostgreSQL stopped -m immediate (no checkpoint: WAL replay on start)',
        break: () => stopPostgres(layout, 'immediate'),
        repair: async () => {
          await startPostgres(layout);
          await waitUntilServing(layout);
        },
      }),
    240_000,
  );

  it(
    'loses nothing when the whole cluster stops and starts again',
    () =>
      survives('cluster-5-whole-cluster-restart', {
        what: 'four services and PostgreSQL stopped',
        break: async () => {
          await stopServices(layout);
          await stopPostgres(layout);
        },
        repair: async () => {
          await startPostgres(layout);
          await startServices(layout);
        },
      }),
    240_000,
  );
});
