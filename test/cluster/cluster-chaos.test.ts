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

/** Pending at every fault: they are started first and decided only after the last one. */
const PENDING = 200;
/** Decided around each fault: half just before it (webhooks in flight), half while the part is down. */
const PER_FAULT = 40;
/** How long the broken part stays down. */
const OUTAGE_MS = 4_000;
/**
 * Slower than the other chaos tests' polling: the last ones decided wait through all five faults, and at
 * a 2 s poll their runs would reach the 500 events at which a run continues as new.
 */
const POLLING = { initialIntervalMs: 1_000, multiplier: 2, maxIntervalMs: 10_000 };

const layout = clusterLayout();

interface Fault {
  /** The scenario name in the chaos report. */
  scenario: string;
  /** What breaks; the scenario's figures name it. */
  what: string;
  break(): Promise<void>;
  /** Brings the broken part back; resolves once the cluster serves again. */
  repair(): Promise<void>;
}

const killAndRestart = (scenario: string, service: TemporalService): Fault => ({
  scenario,
  what: `${service} SIGKILLed`,
  break: () => stopService(layout, service, 'SIGKILL'),
  repair: async () => {
    startService(layout, service);
    await waitUntilServing(layout);
  },
});

const FAULTS: Fault[] = [
  killAndRestart('cluster-1-history-sigkill', 'history'),
  killAndRestart('cluster-2-matching-sigkill', 'matching'),
  {
    scenario: 'cluster-3-frontend-restart',
    what: 'frontend stopped (SIGTERM)',
    break: () => stopService(layout, 'frontend'),
    repair: async () => {
      startService(layout, 'frontend');
      await waitUntilServing(layout);
    },
  },
  {
    scenario: 'cluster-4-postgres-restart',
    what: 'PostgreSQL stopped -m immediate (no checkpoint: WAL replay on start)',
    break: () => stopPostgres(layout, 'immediate'),
    repair: async () => {
      await startPostgres(layout);
      await waitUntilServing(layout);
    },
  },
  {
    scenario: 'cluster-5-whole-cluster-restart',
    what: 'four services and PostgreSQL stopped',
    break: async () => {
      await stopServices(layout);
      await stopPostgres(layout);
    },
    repair: async () => {
      await startPostgres(layout);
      await startServices(layout);
    },
  },
];

/**
 * The parts of the self-hosted cluster fail one after the other under one worker and one receiver that
 * keep running throughout. 200 verifications are pending through every fault (started first, decided
 * after the last); around each fault another 40 are decided, half just before it (their webhooks in
 * flight as it fails) and half while the part is down. The receiver answers 503 to what it cannot hand to
 * Temporal and the double delivers it again. One sequence instead of a fresh rig per fault: starting 200
 * verifications is most of a scenario's time, and this way each of them rides out all five faults.
 */
describe('chaos on the self-hosted cluster', () => {
  let rig: ChaosRig | null = null;

  afterAll(async () => {
    await killAllWorkers();
    await rig?.close();
    rig = null;
    // Whatever a failed fault left down comes back for the files after this one.
    await startPostgres(layout);
    await startServices(layout);
  }, 120_000);

  it(`loses nothing when history, matching, the frontend, PostgreSQL and the whole cluster fail, ${PENDING} pending each time`, async () => {
    const address = process.env.TEST_TEMPORAL_ADDRESS;
    if (!address) throw new Error('TEST_TEMPORAL_ADDRESS is not set: run the tests through jest');
    const chaos = await ChaosRig.start({ temporalAddress: address });
    rig = chaos;
    await chaos.startWorker();
    const planned = await chaos.createBeneficiaries(PENDING + FAULTS.length * PER_FAULT, 'cluster');
    await chaos.startVerifications(planned, { polling: POLLING }, 50);
    chaos.note('verifications started');
    const pending = planned.slice(0, PENDING);

    let before = await chaos.deliveryFigures();
    for (const [index, fault] of FAULTS.entries()) {
      const batch = planned.slice(PENDING + index * PER_FAULT, PENDING + (index + 1) * PER_FAULT);
      const half = PER_FAULT / 2;
      // The double sends these webhooks 100 ms after each decision: the fault lands among them.
      await chaos.decide(batch.slice(0, half));
      const outageStarted = Date.now();
      await fault.break();
      chaos.note(fault.what);
      await chaos.decide(batch.slice(half));
      await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
      const repairStarted = Date.now();
      await fault.repair();
      const outageMs = Date.now() - outageStarted;
      const repairMs = Date.now() - repairStarted;
      chaos.note('repaired');

      const results = await chaos.outcomes(batch, 120_000);
      const resultsInMs = Date.now() - repairStarted;
      chaos.note('results in');
      const after = await chaos.deliveryFigures();
      await chaos.verifyAndRecord(fault.scenario, batch, results, {
        fault: fault.what,
        pendingThroughout: PENDING,
        outageMs,
        repairMs,
        allResultsAfterRepairMs: resultsInMs,
        webhookAttempts: after.attempts - before.attempts,
        refusedWith503: after.refusedWith503 - before.refusedWith503,
        slowestRefusalMs: after.slowestRefusalMs,
        acknowledgedOnRetry: after.acknowledgedOnRetry - before.acknowledgedOnRetry,
      });
      // The receiver never kept the double waiting past its window.
      expect(after.slowestRefusalMs).toBeLessThan(5_000);
      before = after;
    }

    // The 200 that were pending through all five faults are decided now, on the same worker.
    const decidingStarted = Date.now();
    await chaos.decide(pending);
    const results = await chaos.outcomes(planned, 120_000);
    const all = await chaos.verifyAndRecord('cluster-0-pending-through-all-faults', planned, results, {
      pendingThroughout: PENDING,
      faults: FAULTS.length,
      pendingResultsAfterDecisionsMs: Date.now() - decidingStarted,
    });
    // The same worker process rode out every fault.
    expect(chaos.worker?.process.exitCode).toBeNull();
    expect(all.extra.workerStarts).toBe(1);
  }, 600_000);
});
