import { kindOf } from '../contracts';
import type { MachineState } from './verification-machine';

/**
 * The Web UI shows the current details in a frame of fixed height (100 CSS px) that holds four list lines
 * of about 85 characters; a fifth line, or a line that wraps, is cut off. So at most four short lines,
 * whatever the state; everything else is in `getState`.
 */
export const CURRENT_DETAILS_MAX_LINES = 4;
/** Longest reason shown; the whole one is in the result. */
const REASON_LIMIT = 48;

/** Second precision is plenty for a person, and keeps the lines short. */
function at(ms: number | null): string {
  return ms === null ? '—' : new Date(ms).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function clip(text: string, limit: number): string {
  return text.length <= limit ? text : `${text.slice(0, limit - 1)}…`;
}

/** Markdown for the Temporal UI's "current details": what the run is waiting for, and since when. */
export function describeState(state: MachineState): string {
  const session = state.session;
  const lines: string[] = [];
  if (state.outcome) {
    const reason = state.outcome.reason ? ` (${clip(state.outcome.reason, REASON_LIMIT)})` : '';
    lines.push(`**Outcome:** ${state.outcome.outcome}${reason} by ${state.outcome.decidedBy}`);
  }
  lines.push(
    `**Status:** ${session?.status ?? 'NOT_CREATED'}${session ? ` · ${kindOf(session.type)} · session \`${session.id}\`` : ''}`,
  );
  const next = state.outcome ? '' : ` · next ${at(state.nextPollAt)}`;
  lines.push(`**Polls:** ${state.pollCount}${next} · **Deadline:** ${at(state.deadlineAt)}`);
  if (!state.outcome && state.callFailures > 0 && state.lastCallFailure) {
    const failure = state.lastCallFailure;
    lines.push(
      `**Caliza failing:** ${state.callFailures} in a row, last ${clip(failure.type, 30)}; retry ${at(state.retryCallsAt)}`,
    );
  }
  const counted = state.duplicateEvents + state.ignoredEvents;
  if (state.lastEvent || counted > 0) {
    const last = state.lastEvent;
    const confirmed =
      last === null
        ? ''
        : last.confirmed === null
          ? ' (awaiting confirmation)'
          : last.confirmed
            ? ' (confirmed)'
            : ' (not confirmed)';
    const event = last ? `${last.operation}${confirmed}` : 'none taken';
    const extra = counted > 0 ? ` · duplicates ${state.duplicateEvents}, ignored ${state.ignoredEvents}` : '';
    lines.push(`**Last event:** ${event}${extra}`);
  }
  // A markdown list: the UI runs plain lines together into one paragraph. Caliza failing only shows while
  // undecided, in place of the outcome, so there are never more than four lines.
  return `${lines.map((line) => `- ${line}`).join('\n')}\n`;
}
