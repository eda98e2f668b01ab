/** The operator command line, parsed and checked before anything connects to Temporal. */
import { parseArgs } from 'node:util';

export const OPS_USAGE = [
  'usage: npm run ops -- <command>',
  '  state <beneficiaryId>',
  '  cancel <beneficiaryId>',
  '  reverify <beneficiaryId>',
  '  deliver-event <beneficiaryId> approved|failed [--message <text>]',
  '  extend-deadline <beneficiaryId> <ISO 8601 time>',
  '  register-search-attributes',
  '  hash-api-key [--stdin]      a new HTTP API key and its API_KEY_HASHES entry (--stdin: hash a given key)',
].join('\n');

const COMMANDS = [
  'state',
  'cancel',
  'reverify',
  'deliver-event',
  'extend-deadline',
  'register-search-attributes',
  'hash-api-key',
] as const;

export function isHelpRequest(argv: readonly string[]): boolean {
  return argv.length === 1 && ['--help', '-h', 'help'].includes(argv[0] ?? '');
}

export type OpsCommand =
  | { name: 'state' | 'cancel' | 'reverify'; beneficiaryId: string }
  | { name: 'deliver-event'; beneficiaryId: string; outcome: 'approved' | 'failed'; message: string | null }
  | { name: 'extend-deadline'; beneficiaryId: string; deadlineAt: Date }
  | { name: 'register-search-attributes' }
  | { name: 'hash-api-key'; fromStdin: boolean };

/** Bad input: the message is one line, and the process exits non-zero. */
export class OpsUsageError extends Error {
  override readonly name = 'OpsUsageError';
}

const BENEFICIARY_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** A full date and time with a zone, so that an operator never moves a deadline by the server's offset. */
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;

export function parseOpsArgs(argv: readonly string[]): OpsCommand {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: { message: { type: 'string' }, stdin: { type: 'boolean' } },
    });
  } catch (err) {
    throw new OpsUsageError(`${err instanceof Error ? err.message : String(err)}; --help for usage`);
  }
  const [name, ...rest] = parsed.positionals;
  const message = parsed.values.message;
  if (message !== undefined && name !== 'deliver-event') {
    throw new OpsUsageError('--message is only for deliver-event');
  }
  const fromStdin = parsed.values.stdin ?? false;
  if (fromStdin && name !== 'hash-api-key') throw new OpsUsageError('--stdin is only for hash-api-key');
  switch (name) {
    case 'state':
    case 'cancel':
    case 'reverify':
      return { name, beneficiaryId: beneficiaryId(name, rest, 1) };
    case 'deliver-event': {
      const id = beneficiaryId(name, rest, 2);
      const outcome = rest[1];
      if (outcome !== 'approved' && outcome !== 'failed') {
        throw new OpsUsageError(`deliver-event needs approved or failed after the beneficiary id`);
      }
      if (message !== undefined && (message.length === 0 || message.length > 500)) {
        throw new OpsUsageError('--message must be 1 to 500 characters');
      }
      return { name, beneficiaryId: id, outcome, message: message ?? null };
    }
    case 'extend-deadline': {
      const id = beneficiaryId(name, rest, 2);
      const raw = rest[1] ?? '';
      const deadlineAt = new Date(raw);
      if (!ISO_INSTANT.test(raw) || Number.isNaN(deadlineAt.getTime()) || !isCalendarDate(raw.slice(0, 10))) {
        throw new OpsUsageError(
          `extend-deadline needs an ISO 8601 time with a zone, e.g. 2030-01-31T12:00:00Z (got "${raw}")`,
        );
      }
      return { name, beneficiaryId: id, deadlineAt };
    }
    case 'register-search-attributes':
      if (rest.length > 0) throw new OpsUsageError('register-search-attributes takes no arguments');
      return { name };
    case 'hash-api-key':
      // A key given on the command line would stay in the shell's history: it is read from stdin.
      if (rest.length > 0) throw new OpsUsageError('hash-api-key takes no arguments (use --stdin for a key)');
      return { name, fromStdin };
    case undefined:
      throw new OpsUsageError(`a command is required (${COMMANDS.join(', ')}); --help for usage`);
    default:
      throw new OpsUsageError(`unknown command "${name}"; --help for usage`);
  }
}

/** `Date` rolls 2030-02-31 over into March; an operator who typed it meant something else. */
function isCalendarDate(yyyyMmDd: string): boolean {
  const [year, month, day] = yyyyMmDd.split('-').map(Number) as [number, number, number];
  const date = new Date(Date.UTC(year, month - 1, day));
  return date.getUTCFullYear() === year && date.getUTCMonth() === month - 1 && date.getUTCDate() === day;
}

function beneficiaryId(command: string, rest: string[], expected: number): string {
  if (rest.length !== expected) {
    throw new OpsUsageError(`${command} takes ${expected === 1 ? 'one argument' : `${expected} arguments`}`);
  }
  const id = rest[0] ?? '';
  if (!BENEFICIARY_ID.test(id)) {
    throw new OpsUsageError(
      `beneficiaryId must be 1-128 letters, digits, '.', '_', ':' or '-' (got "${id}")`,
    );
  }
  return id;
}
