/**
 * Command line: starts (or joins) a beneficiary's verification and prints one JSON object.
 *
 *   npm run starter -- <beneficiaryId> [--wait] [--reverify] [--timeout <seconds>]
 *
 * Prints `{ workflowId, runId, verificationUrl, status }`; with --wait, also `result` once decided. When
 * the session is not there within the timeout (60 s by default), `status` is NOT_CREATED and a line on
 * stderr says so; the verification keeps trying, and running the starter again returns its URL.
 */
import { parseArgs } from 'node:util';
import { DEFAULT_START_TIMEOUT_MS, VerificationClient, connectClient } from './client';
import { errorLine } from './ops/error-line';
import { taskQueueFromEnv } from './service/config';

const USAGE = 'usage: npm run starter -- <beneficiaryId> [--wait] [--reverify] [--timeout <seconds>]';
const HELP = [
  USAGE,
  '  Starts (or joins) the verification of a beneficiary that exists at Caliza and prints one JSON line:',
  '  { workflowId, runId, verificationUrl, status }, and with --wait the result once decided.',
  '  --wait              wait for the outcome and print it as `result`',
  '  --reverify          start a new verification when the last one ended FAILED',
  '  --timeout <seconds> longest wait for the session (60 by default); then status NOT_CREATED',
  "  A failure prints one `error:` line (Caliza's code and message) and exits non-zero.",
].join('\n');
/** A day: anything longer is a typo, not a wish to wait. */
const MAX_TIMEOUT_SECONDS = 86_400;

export interface StarterArgs {
  beneficiaryId: string;
  wait: boolean;
  reverify: boolean;
  /** Longest wait for the session. */
  timeoutMs: number;
}

/** Throws a one-line error for bad input. */
export function parseStarterArgs(argv: string[]): StarterArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        wait: { type: 'boolean', default: false },
        reverify: { type: 'boolean', default: false },
        timeout: { type: 'string' },
      },
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; ${USAGE}`);
  }
  const [beneficiaryId, ...extra] = parsed.positionals;
  if (!beneficiaryId || extra.length > 0) throw new Error(`expected exactly one beneficiaryId; ${USAGE}`);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(beneficiaryId)) {
    throw new Error(`beneficiaryId must be 1-128 letters, digits, '.', '_', ':' or '-'; ${USAGE}`);
  }
  return {
    beneficiaryId,
    wait: parsed.values.wait ?? false,
    reverify: parsed.values.reverify ?? false,
    timeoutMs: timeoutMsOf(parsed.values.timeout),
  };
}

function timeoutMsOf(raw: string | undefined): number {
  if (raw === undefined) return DEFAULT_START_TIMEOUT_MS;
  const seconds = /^\d+(\.\d+)?$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!(seconds > 0 && seconds <= MAX_TIMEOUT_SECONDS)) {
    throw new Error(
      `--timeout must be a number of seconds above 0, at most ${MAX_TIMEOUT_SECONDS}; ${USAGE}`,
    );
  }
  return Math.round(seconds * 1000);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv.length === 1 && ['--help', '-h', 'help'].includes(argv[0] ?? '')) {
    process.stdout.write(`${HELP}\n`);
    return;
  }
  const args = parseStarterArgs(argv);
  const { client, connection } = await connectClient();
  try {
    const verifications = new VerificationClient(client, { taskQueue: taskQueueFromEnv() });
    const started = await verifications.start(args.beneficiaryId, {
      reverify: args.reverify,
      timeoutMs: args.timeoutMs,
    });
    if (started.status === 'NOT_CREATED') {
      process.stderr.write(
        `NOT_CREATED: no verification session within ${args.timeoutMs / 1000} s (Caliza slow or failing); ` +
          'the verification keeps trying: run the starter again later for its URL\n',
      );
    }
    const result = started.result ?? (args.wait ? await verifications.result(args.beneficiaryId) : undefined);
    process.stdout.write(`${JSON.stringify({ ...started, ...(result && { result }) })}\n`);
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    // The client's error says what failed, its causes why: Caliza's code and message, or the fix (a cluster
    // with the update API off says so only in a cause).
    process.stderr.write(`error: ${errorLine(err)}\n`);
    process.exit(1);
  });
}
