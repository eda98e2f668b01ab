/**
 * Command line: starts (or joins) a beneficiary's verification and prints one JSON object.
 *
 *   npm run starter -- <beneficiaryId> [--wait] [--reverify]
 *
 * Prints `{ workflowId, runId, verificationUrl, status }`; with --wait, also `result` once decided.
 */
import { parseArgs } from 'node:util';
import { VerificationClient, connectClient } from './client';
import { taskQueueFromEnv } from './service-config';

const USAGE = 'usage: npm run starter -- <beneficiaryId> [--wait] [--reverify]';

export interface StarterArgs {
  beneficiaryId: string;
  wait: boolean;
  reverify: boolean;
}

/** Throws a one-line error for bad input. */
export function parseStarterArgs(argv: string[]): StarterArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { wait: { type: 'boolean', default: false }, reverify: { type: 'boolean', default: false } },
    });
  } catch (err) {
    throw new Error(`${err instanceof Error ? err.message : String(err)}; ${USAGE}`);
  }
  const [beneficiaryId, ...extra] = parsed.positionals;
  if (!beneficiaryId || extra.length > 0) throw new Error(`expected exactly one beneficiaryId; ${USAGE}`);
  if (!/^[A-Za-z0-9._:-]{1,128}$/.test(beneficiaryId)) {
    throw new Error(`beneficiaryId must be 1-128 letters, digits, '.', '_', ':' or '-'; ${USAGE}`);
  }
  return { beneficiaryId, wait: parsed.values.wait ?? false, reverify: parsed.values.reverify ?? false };
}

async function main(): Promise<void> {
  const args = parseStarterArgs(process.argv.slice(2));
  const { client, connection } = await connectClient();
  try {
    const verifications = new VerificationClient(client, { taskQueue: taskQueueFromEnv() });
    const started = await verifications.start(args.beneficiaryId, { reverify: args.reverify });
    const result = started.result ?? (args.wait ? await verifications.result(args.beneficiaryId) : undefined);
    process.stdout.write(`${JSON.stringify({ ...started, ...(result && { result }) })}\n`);
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    process.stderr.write(`error: ${(err instanceof Error ? err.message : String(err)).split('\n')[0]}\n`);
    process.exit(1);
  });
}
