/**
 * Child process of the memory section: one verification worker and nothing else, so that its RSS is the
 * worker's. Caliza is a stub that answers PENDING at once (the section measures held workflows, not HTTP).
 * It starts as every production process does, re-executing itself with the service's heap limit
 * (src/service/heap-limit.ts) before anything else, which is why it talks to the parent over stdout (an IPC
 * channel would not survive the re-execution): one `STATUS_PREFIX` line with `ready`, then one with a
 * status every `sampleMs`; SIGTERM ends it.
 */
import { getHeapStatistics } from 'node:v8';
import { NativeConnection } from '@temporalio/worker';
import { applyHeapLimit } from '../src/service/heap-limit';
import { createActivities } from '../src/activities';
import type { VerificationSession } from '../src/contracts';
import { createVerificationWorker } from '../src/service/verification-worker';
import { fileLogger, installBenchRuntime } from './runtime';
import {
  type MemoryWorkerConfig,
  type MemoryWorkerReady,
  type MemoryWorkerStatus,
  STATUS_PREFIX,
} from './memory-worker-protocol';

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
  const heap = applyHeapLimit();
  const config = JSON.parse(process.env.BENCH_MEMORY_WORKER ?? '{}') as MemoryWorkerConfig;
  const send = (message: MemoryWorkerReady | MemoryWorkerStatus) =>
    process.stdout.write(`${STATUS_PREFIX}${JSON.stringify(message)}\n`);
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
  const stop = () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  process.once('SIGTERM', stop);
  // The parent going away (its end of stdout closed) ends this process too.
  process.stdout.once('error', stop);
  send({
    type: 'ready',
    node: process.version,
    heapLimitMb: heap.limitMb,
    heapLimitWhy: heap.reason,
    v8HeapSizeLimitMb: Math.round(getHeapStatistics().heap_size_limit / 1024 / 1024),
  });
  await running;
  clearInterval(timer);
  await connection.close();
  process.exit(0);
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(
      `memory worker: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
    );
    process.exit(1);
  });
