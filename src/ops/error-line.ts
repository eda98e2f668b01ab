/**
 * One line for an error and its causes: the client's errors say what failed ("Workflow Update failed")
 * and their cause says why ("deadlineAt must be later than the current deadline").
 */
export function errorLine(err: unknown): string {
  const messages: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth += 1) {
    const message = current instanceof Error ? current.message : String(current);
    const flat = message.replace(/\s*\n\s*/g, ' ').trim();
    if (flat !== '' && !messages.some((seen) => seen.includes(flat))) messages.push(flat);
    current = current instanceof Error ? current.cause : undefined;
  }
  return messages.join(': ');
}
