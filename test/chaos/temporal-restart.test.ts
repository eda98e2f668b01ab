import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePort } from '../../dev/free-port';
import { type DevServer, startDevServer } from '../../dev/temporal-dev-server';
import { ChaosRig, sleep, waitFor } from '../support/chaos-rig';
import { killAllWorkers } from '../support/chaos-worker';

/** How long Temporal stays down in each scenario. */
const OUTAGE_MS = 4_000;

/**
 * Temporal itself goes away and comes back on the same port with the same SQLite file. Everything
 * Temporal acknowledged before is still there; what it could not acknowledge meanwhile (webhooks answered
 * 503) the double delivers again; the worker process reconnects on its own.
 */
describe('chaos: the Temporal server restarts', () => {
  let dataDir: string;
  let port: number;
  let server: DevServer | null = null;
  let rig: ChaosRig | null = null;
  const startServer = async (): Promise<DevServer> => {
    server = await startDevServer({ port, dbFilename: path.join(dataDir, 'temporal.db') });
    return server;
  };
  /** SIGTERM (a clean stop), or SIGKILL (a crash: whatever SQLite has committed is all there is). */
  const stopServer = async (signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> => {
    const child = server?.process;
    if (signal === 'SIGKILL' && child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
      child.kill('SIGKILL');
      await exited;
    }
    await server?.stop();
    server = null;
  };

  beforeAll(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), 'chaos-temporal-'));
    port = await freePort();
    await startServer();
  }, 60_000);

  afterEach(async () => {
    await killAllWorkers();
    await rig?.close();
    rig = null;
  });

  afterAll(async () => {
    await stopServer();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function startRig(): Promise<ChaosRig> {
    if (!server) await startServer();
    rig = await ChaosRig.start({ temporalAddress: `127.0.0.1:${port}` });
    await rig.startWorker();
    return rig;
  }

  it('loses nothing when the server is killed in the middle of a run and started again', async () => {
    const rig = await startRig();
    const planned = await rig.createBeneficiaries(60, 'restart');
    await rig.startVerifications(planned);
    const [before, during, after] = [planned.slice(0, 20), planned.slice(20, 40), planned.slice(40)];

    // Some are decided before the restart, some have their webhooks in flight as the server stops, and
    // the rest are decided while it is down.
    await rig.decide(before);
    await sleep(500);
    await rig.decide(during);
    const outageStarted = Date.now();
    await stopServer('SIGKILL');
    rig.note('server killed');
    await rig.decide(after);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    await startServer();
    const outageMs = Date.now() - outageStarted;
    rig.note('server restarted');

    const results = await rig.outcomes(planned, 60_000);
    const figures = await rig.verifyAndRecord('2-temporal-restart', planned, results, {
      serverKills: 1,
      outageMs,
    });
    // The same worker process rode out the outage.
    expect(rig.worker?.process.exitCode).toBeNull();
    expect(figures.extra.workerStarts).toBe(1);
  }, 120_000);

  it('answers 503 while Temporal is down, and the redelivered webhooks land once it is back', async () => {
    const rig = await startRig();
    const planned = await rig.createBeneficiaries(30, 'outage');
    await rig.startVerifications(planned);

    const outageStarted = Date.now();
    await stopServer();
    await rig.decide(planned);
    // Every event has been offered at least once, and refused with a 503 (the double will try again).
    const refused = await waitFor(
      'a 503 for every webhook',
      async () => {
        const unavailable = (await rig.receiverCounts()).unavailable ?? 0;
        return unavailable >= planned.length ? unavailable : undefined;
      },
      20_000,
    );
    const ready = await fetch(`${rig.receiver.baseUrl}/readyz`);
    expect(ready.status).toBe(503);
    await sleep(Math.max(0, OUTAGE_MS - (Date.now() - outageStarted)));
    await startServer();
    const outageMs = Date.now() - outageStarted;

    const results = await rig.outcomes(planned, 60_000);
    // Deliveries still retrying when their verification was decided by a poll finish too.
    await rig.settledStats();
    const { acknowledgedOnRetry, slowestRefusalMs } = await rig.deliveryFigures();
    const figures = await rig.verifyAndRecord('5-receiver-while-temporal-down', planned, results, {
      serverStops: 1,
      outageMs,
      refusedWith503: refused,
      slowestRefusalMs,
      acknowledgedOnRetry,
    });
    // Each event was refused while Temporal was down and taken on a later attempt.
    expect(acknowledgedOnRetry).toBe(planned.length);
    // Inside Caliza's 5 s window (the receiver's own bound is its 1 s gRPC deadline plus 500 ms), so the
    // double sees a 503 it will retry, never a timeout.
    expect(slowestRefusalMs).toBeLessThan(5_000);
    expect(Object.keys(figures.decidedBy).every((by) => by === 'WEBHOOK' || by === 'POLL')).toBe(true);
  }, 120_000);
});
