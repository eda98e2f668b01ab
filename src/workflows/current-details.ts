import { kindOf } from '../contracts';
import type { MachineState } from './verification-machine';

/** Markdown for the Temporal UI's "current details": what the run is waiting for, and since when. */
export function describeState(state: MachineState): string {
  const at = (ms: number | null): string => (ms === null ? '—' : new Date(ms).toISOString());
  const session = state.session;
  const lines = [
    `**Status:** ${session?.status ?? 'NOT_CREATED'}${session ? ` (${kindOf(session.type)}, session \`${session.id}\`)` : ''}`,
    `**Polls:** ${state.pollCount} · last ${at(state.lastPollAt)} · next ${at(state.nextPollAt)}`,
    `**Deadline:** ${at(state.deadlineAt)}`,
  ];
  if (state.lastEvent) {
    const confirmed =
      state.lastEvent.confirmed === null
        ? 'awaiting confirmation'
        : state.lastEvent.confirmed
          ? 'confirmed'
          : 'not confirmed by the session';
    lines.push(`**Last event:** ${state.lastEvent.operation} at ${state.lastEvent.createdAt} (${confirmed})`);
  }
  if (state.callFailures > 0 && state.lastCallFailure) {
    const failure = state.lastCallFailure;
    lines.push(
      `**Caliza failing:** ${state.callFailures} call(s) in a row, last ${failure.type} (${failure.kind}) at ${failure.at}; next try ${at(state.retryCallsAt)}`,
    );
  }
  if (state.duplicateEvents + state.ignoredEvents > 0) {
    lines.push(`**Duplicates / ignored events:** ${state.duplicateEvents} / ${state.ignoredEvents}`);
  }
  if (state.outcome) {
    lines.push(
      `**Outcome:** ${state.outcome.outcome}${state.outcome.reason ? ` (${state.outcome.reason})` : ''} by ${state.outcome.decidedBy}`,
    );
  }
  // A markdown list: the UI runs plain lines together into one paragraph.
  return lines.map((line) => `- ${line}`).join('\n');
}
