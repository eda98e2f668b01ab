/**
 * Child process of the memory section: one verification worker and nothing else, so that its RSS is the
 * worker's. Caliza is a stub that answers PENDING at once (the section measures held workflows, not HTTP).
 * Talks to the parent over IPC: it sends `ready`, then a status every `sampleMs`; `stop` ends it.
 */
import { NativeConnection } from '@temporalio/worker';
import { createActivities } from '../src/activities';
import type { VerificationSession } from '../src/contracts';
import { createVerificationWorker } from '../src/worker';
import { fileLogger, installBenchRuntime, type LogLevel } from './runtime';
import type { WorkerTuning } from './stack';

export interface MemoryWorkerConfig {
  address: string;
  taskQueue: string;
  workflowBundlePath: string;
  tuning: WorkerTuning;
  logFile: string;
  logLevel: LogLevel;
  sampleMs: number;
}

export interface MemoryWorkerStatus {
  type: 'status';
  rssBytes: number;
  /** Peak RSS of the process so far (getrusage). */
  maxRssBytes: number;
  heapUsedBytes: number;
  cachedWorkflows: number;
  inFlightActivations: number;
  maxCachedWorkflows: number;
}

function pendingSession(beneficiaryId: string): VerificationSession {
  return {
    id: `session-${beneficiaryId}`,
    beneficiaryId,
    type: 'INDIVIDUAL',
    verificationUrl: `http://127.0.0.1/hosted/verification/session-${beneficiaryId}`,
    status: 'PENDING',
    createdDate: '2026-01-01T00:00:00.000Z',
    lastModifiedDate: '2026-01-01T00:00:00.000Z',
  };
}

async function main(): Promise<void> {
  const config = JSON.parse(process.env.BENCH_MEMORY_WORKER ?? '{}') as MemoryWorkerConfig;
  const send = (message: unknown) => process.send?.(message);
  const logger = fileLogger(config.logFile, config.logLevel);
  installBenchRuntime(logger);
  const connection = await NativeConnection.connect({ address: config.address });
  const worker = await createVerificationWorker({
    connection,
    taskQueue: config.taskQueue,
    activities: createActivities({
      caliza: {
        createVerification: async (id) => pendingSession(id),
        getVerification: async (id) => pendingSession(id),
        // Sessions stay PENDING here, so no FAILED outcome ever asks for the beneficiary.
        getBeneficiary: async (id) => {
          throw new Error(`memory benchmark: no beneficiary read expected (${id})`);
        },
      },
    }),
    workflowBundlePath: config.workflowBundlePath,
    tuning: config.tuning,
  });
  const running = worker.run();
  let maxRss = 0;
  const timer = setInterval(() => {
    const memory = process.memoryUsage();
    maxRss = Math.max(maxRss, memory.rss, process.resourceUsage().maxRSS * 1024);
    const status = worker.getStatus();
    const message: MemoryWorkerStatus = {
      type: 'status',
      rssBytes: memory.rss,
      maxRssBytes: maxRss,
      heapUsedBytes: memory.heapUsed,
      cachedWorkflows: status.numCachedWorkflows,
      inFlightActivations: status.numInFlightWorkflowActivations,
      maxCachedWorkflows: worker.options.maxCachedWorkflows,
    };
    send(message);
  }, config.sampleMs);
  process.on('message', (message) => {
    if (message === 'stop' && worker.getState() === 'RUNNING') worker.shutdown();
  });
  // The parent going away ends this process too.
  process.on('disconnect', () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  });
  send({ type: 'ready' });
  await running;
  clearInterval(timer);
  await connection.close();
  process.exit(0);
}

main().catch((err: unknown) => {
  process.stderr.write(`memory worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
