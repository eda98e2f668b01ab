import type { Client } from '@temporalio/client';
import { tsToMs } from '@temporalio/common/lib/time';
import { temporal } from '@temporalio/proto';
import { runEvents } from './history';

type HistoryEvent = temporal.api.history.v1.IHistoryEvent;
const EventType = temporal.api.enums.v1.EventType;

const CLOSE_EVENTS = new Map<number, string>([
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED, 'COMPLETED'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_FAILED, 'FAILED'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TIMED_OUT, 'TIMED_OUT'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED, 'CANCELED'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_TERMINATED, 'TERMINATED'],
  [EventType.EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW, 'CONTINUED_AS_NEW'],
]);

/** What one run's history says about how it was executed. */
export interface RunFacts {
  runId: string;
  events: number;
  /** Workflow time (the test server's clock) of the first and the closing event. */
  startedAt: number;
  closedAt: number | null;
  /** COMPLETED, FAILED, CONTINUED_AS_NEW…; null while running. */
  closedAs: string | null;
  /**
   * Longest workflow task that ran no local activity: started → completed. Workflow code alone takes
   * milliseconds; seconds mean a loop that does not yield.
   */
  longestPlainTaskMs: number;
  /** Longest task that recorded a local activity's result (its marker follows it). */
  longestLocalActivityTaskMs: number;
  /** A task that the worker never completed (timed out) or failed: a crash or a stuck isolate. */
  taskTimeouts: number;
  taskFailures: number;
  /**
   * Tasks the server refused because new events (signals) arrived while they ran: their commands, a
   * continue-as-new for instance, are sent again with the new events. Normal under a stream of signals.
   */
  unhandledCommandRetries: number;
}

function eventMs(event: HistoryEvent): number {
  return event.eventTime ? tsToMs(event.eventTime) : 0;
}

/** Reads the facts of one run from its events. */
export function runFacts(runId: string, events: readonly HistoryEvent[]): RunFacts {
  let longestPlainTaskMs = 0;
  let longestLocalActivityTaskMs = 0;
  let taskTimeouts = 0;
  let taskFailures = 0;
  let unhandledCommandRetries = 0;
  let closedAt: number | null = null;
  let closedAs: string | null = null;
  let startedTask: number | null = null;
  for (let i = 0; i < events.length; i++) {
    const event = events[i] as HistoryEvent;
    const type = event.eventType ?? 0;
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_STARTED) startedTask = eventMs(event);
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_TIMED_OUT) taskTimeouts += 1;
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_FAILED) {
      const cause = event.workflowTaskFailedEventAttributes?.cause;
      if (
        cause === temporal.api.enums.v1.WorkflowTaskFailedCause.WORKFLOW_TASK_FAILED_CAUSE_UNHANDLED_COMMAND
      )
        unhandledCommandRetries += 1;
      else taskFailures += 1;
    }
    if (type === EventType.EVENT_TYPE_WORKFLOW_TASK_COMPLETED && startedTask !== null) {
      const took = eventMs(event) - startedTask;
      startedTask = null;
      // The commands of a task follow its completion; a local activity's result is a marker among them.
      // (Core's heartbeat of a task whose local activity outlives the task timeout records none.)
      let carriesLocalActivity = false;
      for (let j = i + 1; j < events.length; j++) {
        const next = (events[j] as HistoryEvent).eventType ?? 0;
        if (next === EventType.EVENT_TYPE_MARKER_RECORDED) carriesLocalActivity = true;
        if (next === EventType.EVENT_TYPE_WORKFLOW_TASK_SCHEDULED) break;
      }
      if (carriesLocalActivity) longestLocalActivityTaskMs = Math.max(longestLocalActivityTaskMs, took);
      else longestPlainTaskMs = Math.max(longestPlainTaskMs, took);
    }
    const close = CLOSE_EVENTS.get(type);
    if (close) {
      closedAs = close;
      closedAt = eventMs(event);
    }
  }
  return {
    runId,
    events: events.length,
    startedAt: events[0] ? eventMs(events[0]) : 0,
    closedAt,
    closedAs,
    longestPlainTaskMs,
    longestLocalActivityTaskMs,
    taskTimeouts,
    taskFailures,
    unhandledCommandRetries,
  };
}

/** Every run of a workflow id that the latest run descends from by continue-as-new, oldest first. */
export async function runChain(client: Client, workflowId: string): Promise<RunFacts[]> {
  const runs: RunFacts[] = [];
  let runId: string | undefined = (await client.workflow.getHandle(workflowId).describe()).runId;
  while (runId) {
    const events = await runEvents(client, workflowId, runId);
    runs.unshift(runFacts(runId, events));
    runId = events[0]?.workflowExecutionStartedEventAttributes?.continuedExecutionRunId || undefined;
  }
  return runs;
}

/** The longest of each kind over a chain, and the counts of bad tasks. */
export function chainSummary(runs: readonly RunFacts[]): {
  runs: number;
  longestRun: number;
  totalEvents: number;
  longestPlainTaskMs: number;
  longestLocalActivityTaskMs: number;
  taskTimeouts: number;
  taskFailures: number;
  unhandledCommandRetries: number;
} {
  return {
    runs: runs.length,
    longestRun: Math.max(0, ...runs.map((r) => r.events)),
    totalEvents: runs.reduce((sum, r) => sum + r.events, 0),
    longestPlainTaskMs: Math.max(0, ...runs.map((r) => r.longestPlainTaskMs)),
    longestLocalActivityTaskMs: Math.max(0, ...runs.map((r) => r.longestLocalActivityTaskMs)),
    taskTimeouts: runs.reduce((sum, r) => sum + r.taskTimeouts, 0),
    taskFailures: runs.reduce((sum, r) => sum + r.taskFailures, 0),
    unhandledCommandRetries: runs.reduce((sum, r) => sum + r.unhandledCommandRetries, 0),
  };
}
