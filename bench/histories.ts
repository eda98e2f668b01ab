/** Reading what the benchmark needs out of workflow histories: event counts, times and results. */
import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { runEvents } from '../test/support/history';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

export interface RunSummary {
  workflowId: string;
  events: number;
  /** Server wall-clock times (ms since the epoch). */
  startedAt: number;
  firstSignalAt: number | null;
  closedAt: number | null;
  status: 'COMPLETED' | 'FAILED' | 'OTHER' | 'RUNNING';
  /** The JSON result of a completed run (default data converter, no codec). */
  result: unknown;
  workflowTasks: number;
  /** Per workflow task: time in the task queue (scheduled → started) and in the worker (started → completed). */
  taskTimings: { queueMs: number; workerMs: number }[];
}

/** `WORKFLOW_TASK_COMPLETED` and friends, for Markdown tables. */
export function eventTypeName(event: HistoryEvent): string {
  return (EventType[event.eventType ?? 0] ?? String(event.eventType)).replace(/^EVENT_TYPE_/, '');
}

export function summarizeRun(workflowId: string, events: readonly HistoryEvent[]): RunSummary {
  let firstSignalAt: number | null = null;
  let closedAt: number | null = null;
  let status: RunSummary['status'] = 'RUNNING';
  let result: unknown = null;
  let workflowTasks = 0;
  const taskTimings: RunSummary['taskTimings'] = [];
  let scheduledAt = 0;
  let taskStartedAt = 0;
  for (const event of events) {
    switch (event.eventType) {
      case EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED:
        scheduledAt = tsToMs(event.eventTime);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED:
        taskStartedAt = tsToMs(event.eventTime);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED:
        firstSignalAt ??= tsToMs(event.eventTime);
        break;
      case EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED:
        workflowTasks += 1;
        taskTimings.push({
          queueMs: taskStartedAt - scheduledAt,
          workerMs: tsToMs(event.eventTime) - taskStartedAt,
        });
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED: {
        closedAt = tsToMs(event.eventTime);
        status = 'COMPLETED';
        const data = event.workflowExecutionCompletedEventAttributes?.result?.payloads?.[0]?.data;
        result = data ? JSON.parse(Buffer.from(data).toString('utf8')) : null;
        break;
      }
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED:
        closedAt = tsToMs(event.eventTime);
        status = 'FAILED';
        break;
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED:
      case EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW:
        closedAt = tsToMs(event.eventTime);
        status = 'OTHER';
        break;
      default:
        break;
    }
  }
  return {
    workflowId,
    events: events.length,
    startedAt: events[0] ? tsToMs(events[0].eventTime) : Number.NaN,
    firstSignalAt,
    closedAt,
    status,
    result,
    workflowTasks,
    taskTimings,
  };
}

export async function fetchRunSummary(client: Client, workflowId: string): Promise<RunSummary> {
  return summarizeRun(workflowId, await runEvents(client, workflowId));
}

export { runEvents };
export type { HistoryEvent };
