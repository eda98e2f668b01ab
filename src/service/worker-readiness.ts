/**
 * When a worker is ready: it is running, Temporal sees it polling its task queue, and the namespace has the
 * search attributes its workflows upsert. Asked of the server rather than of the worker itself, so that a
 * worker cut off from Temporal (its polls failing and retried in the background) is not ready either.
 */
import { optionalTsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import type { NativeConnection, Worker } from '@temporalio/worker';
import {
  cannotCheckSearchAttributes,
  describeSearchAttributeProblems,
  searchAttributeProblems,
} from '../search-attribute-check';
import { NotReadyError } from '../webhooks/temporal-delivery';

/**
 * A poller stays listed for minutes after its last poll; one long poll lasts up to about 70 s. A worker
 * whose last poll is older than this has stopped polling.
 */
const POLLER_MAX_AGE_MS = 90_000;
const DEFAULT_TIMEOUT_MS = 2_000;

export interface WorkerReadinessTarget {
  worker: Worker;
  connection: NativeConnection;
  namespace: string;
  taskQueue: string;
}

export function workerReadiness(
  { worker, connection, namespace, taskQueue }: WorkerReadinessTarget,
  options: { timeoutMs?: number; now?: () => number } = {},
): () => Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const identity = worker.options.identity;
  return async () => {
    const state = worker.getState();
    if (state !== 'RUNNING') throw new NotReadyError(`worker ${state.toLowerCase()}`);
    await connection.withDeadline(now() + timeoutMs, async () => {
      const { pollers } = await connection.workflowService.describeTaskQueue({
        namespace,
        taskQueue: { name: taskQueue, kind: temporal.api.enums.v1.TaskQueueKind.TASK_QUEUE_KIND_NORMAL },
        taskQueueType: temporal.api.enums.v1.TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
      });
      const polledAt = (pollers ?? [])
        .filter((poller) => poller.identity === identity)
        .map((poller) => optionalTsToMs(poller.lastAccessTime) ?? 0);
      if (polledAt.length === 0 || now() - Math.max(...polledAt) > POLLER_MAX_AGE_MS) {
        throw new NotReadyError(`not polling task queue ${taskQueue}`);
      }
      try {
        const problems = await searchAttributeProblems(connection.operatorService, namespace);
        if (problems.length > 0) {
          throw new NotReadyError(`search attributes missing: ${describeSearchAttributeProblems(problems)}`);
        }
      } catch (err) {
        if (!cannotCheckSearchAttributes(err)) throw err;
      }
    });
  };
}
