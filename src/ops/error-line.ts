/**
 * One line for an error and its causes: the client's errors say what failed ("Workflow Update failed")
 * and their cause says why ("deadlineAt must be later than the current deadline"). A Caliza code that the
 * messages do not name is added, and a problem of the Temporal namespace gets the fix after it.
 */
import { REGISTER_SEARCH_ATTRIBUTES_COMMAND } from '../search-attribute-check';
import { calizaCodeOf } from '../error-fields';

export function errorLine(err: unknown): string {
  const messages: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    const message = current instanceof Error ? current.message : String(current);
    const flat = message.replace(/\s*\n\s*/g, ' ').trim();
    if (flat !== '' && !messages.some((seen) => seen.includes(flat))) messages.push(flat);
    current = current instanceof Error ? current.cause : undefined;
  }
  let line = messages.join(': ');
  const code = calizaCodeOf(err);
  if (code !== null && !line.includes(code)) line += ` (Caliza code ${code})`;
  const fix = namespaceFix(line);
  return fix ? `${line}; ${fix}` : line;
}

/**
 * What to do when Temporal refuses because of how the namespace is set up, read from its message (its
 * gRPC code alone is shared with unrelated refusals).
 */
export function namespaceFix(message: string): string | null {
  if (/ExecuteMultiOperation API is disabled/i.test(message)) {
    return (
      'fix: update-with-start is switched off on this namespace; set the dynamic config ' +
      'frontend.enableExecuteMultiOperation=true (the server default) or use a namespace where it is on'
    );
  }
  if (/UpdateWorkflowExecution operation is disabled|Update.* API is disabled/i.test(message)) {
    return (
      'fix: workflow updates are switched off on this namespace; set the dynamic config ' +
      'frontend.enableUpdateWorkflowExecution=true (the server default) or use a namespace where they are on'
    );
  }
  if (/search attribute/i.test(message) && /not defined|no mapping|unknown|not registered/i.test(message)) {
    return `fix: the namespace lacks this service's search attributes; run \`${REGISTER_SEARCH_ATTRIBUTES_COMMAND}\``;
  }
  return null;
}
