/**
 * The worker part: `verifyBeneficiary` and the Caliza activities on one task queue, with the measured
 * tuning defaults, refusing to start where the search attributes it upserts are missing.
 */
import { type DataConverter, type NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { VerificationActivities } from '../contracts';
import type { Logger } from '../logger';
import { type Tracing, WORKFLOW_TRACING_INTERCEPTORS, workerTracingOptions } from './tracing';
import {
  type SearchAttributeProblem,
  cannotCheckSearchAttributes,
  searchAttributeProblemLine,
  searchAttributeProblems,
} from '../search-attribute-check';

export interface VerificationWorkerOptions {
  connection: NativeConnection;
  namespace?: string;
  taskQueue: string;
  activities: VerificationActivities;
  /** A prebuilt bundle (`npm run build:workflow`); the workflow source is bundled at start-up otherwise. */
  workflowBundlePath?: string;
  /** Payload encryption (`dataConverterFromEnv`); clients must use the same one. */
  dataConverter?: DataConverter;
  /** Traces activities and exports the workflow's spans; off when absent. */
  tracing?: Tracing | null;
  /** Worker tuning, e.g. cache size and pollers. */
  tuning?: Partial<
    Pick<
      WorkerOptions,
      | 'maxCachedWorkflows'
      | 'maxConcurrentWorkflowTaskExecutions'
      | 'maxConcurrentLocalActivityExecutions'
      | 'workflowTaskPollerBehavior'
      | 'nonStickyToStickyPollRatio'
    >
  >;
}

/**
 * Tuning defaults, measured with `npm run bench` (docs/benchmarks.md) on a 2-core machine running the whole
 * stack. A cached workflow costs 150–210 KB of RSS, so the cache is capped at 500: pending verifications
 * wait minutes to hours between polls and replay cheaply when evicted, and the SDK's default here (about
 * 2,300, from the heap size) took a worker holding 10,000 of them past 900 MB. 20 concurrent workflow tasks
 * instead of 40: as many verifications per second, with about half the time each task spends inside the
 * worker, so a webhook reaches its result sooner. Options passed in `tuning` override these.
 */
export const WORKER_TUNING_DEFAULTS = {
  maxCachedWorkflows: 500,
  maxConcurrentWorkflowTaskExecutions: 20,
} as const satisfies NonNullable<VerificationWorkerOptions['tuning']>;

/** In-flight Caliza calls get this long to finish before they are cancelled at shutdown. */
export const WORKER_SHUTDOWN_GRACE_MS = 10_000;

export async function createVerificationWorker(options: VerificationWorkerOptions): Promise<Worker> {
  const tracing = workerTracingOptions(options.tracing ?? null);
  return Worker.create({
    connection: options.connection,
    namespace: options.namespace ?? 'default',
    taskQueue: options.taskQueue,
    // A prebuilt bundle holds the tracing interceptors already (dev/workflow-bundle.ts).
    ...(options.workflowBundlePath
      ? { workflowBundle: { codePath: options.workflowBundlePath } }
      : { workflowsPath: require.resolve('../workflows') }),
    interceptors: {
      activity: tracing.activityInterceptors,
      ...(!options.workflowBundlePath && { workflowModules: [WORKFLOW_TRACING_INTERCEPTORS] }),
    },
    sinks: tracing.sinks,
    activities: options.activities,
    ...(options.dataConverter && { dataConverter: options.dataConverter }),
    shutdownGraceTime: WORKER_SHUTDOWN_GRACE_MS,
    ...WORKER_TUNING_DEFAULTS,
    ...options.tuning,
  });
}

/**
 * Refuses to start without the search attributes (every workflow task that upserts a missing one would fail
 * and be retried for ever). A service that cannot answer the question is warned about, not refused.
 */
export async function checkSearchAttributes(
  connection: NativeConnection,
  namespace: string,
  logger: Logger,
): Promise<void> {
  let problems: SearchAttributeProblem[];
  try {
    problems = await searchAttributeProblems(connection.operatorService, namespace);
  } catch (err) {
    if (!cannotCheckSearchAttributes(err)) throw err;
    logger.warn(
      { namespace, err: err instanceof Error ? err.message : String(err) },
      'cannot list the search attributes; check that they are registered',
    );
    return;
  }
  if (problems.length > 0) throw new Error(searchAttributeProblemLine(namespace, problems));
}
