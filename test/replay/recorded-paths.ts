/**
 * The verification paths whose histories are recorded (`scripts/record-histories.ts`) and replayed
 * (`test/replay/replay.test.ts`). One list for both, so a path added here without a recording fails the test.
 */
import path from 'node:path';

export type ClosingEvent =
  | 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED'
  | 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED'
  | 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED'
  | 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW';

export interface RecordedPath {
  name: string;
  /** How the (last) run ends. */
  closedBy: ClosingEvent;
  /** Recorded as one file per run, `<name>.run-<n>.json`, every run but the last continuing as new. */
  continuesAsNew?: boolean;
}

export const RECORDED_PATHS: readonly RecordedPath[] = [
  { name: 'approved-by-webhook', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'approved-by-poll', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'failed-by-webhook', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'failed-by-poll', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'failure-details-unreadable', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'expired', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'pending-past-a-day', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'duplicate-and-conflicting-events', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'continue-as-new', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED', continuesAsNew: true },
  { name: 'cancelled', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_CANCELED' },
  { name: 'event-before-session', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'record-outcome', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'record-outcome-not-verified-here', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'deadline-extended', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  { name: 'caliza-refused', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_FAILED' },
  { name: 'outage-with-event-waiting', closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED' },
  {
    name: 'start-across-continue-as-new',
    closedBy: 'EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED',
    continuesAsNew: true,
  },
];

export const HISTORIES_DIR = path.join(__dirname, 'histories');

/** File name of one recorded run; `run` counts from 1 and is given only for continue-as-new chains. */
export function historyFileName(pathName: string, run?: number): string {
  return run === undefined ? `${pathName}.json` : `${pathName}.run-${run}.json`;
}

/** The path a history file belongs to, and its run number in a continue-as-new chain; null if neither. */
export function parseHistoryFileName(file: string): { pathName: string; run: number | null } | null {
  const match = /^([a-z0-9-]+?)(?:\.run-(\d+))?\.json$/.exec(file);
  if (!match?.[1]) return null;
  return { pathName: match[1], run: match[2] === undefined ? null : Number(match[2]) };
}
