/**
 * `npm run ops -- <command>`: find and steer one verification from a terminal or a script. Every command
 * prints one JSON line; bad input or a failed call prints one `error:` line and exits non-zero.
 * Temporal is reached through its standard environment configuration, as by the worker.
 */
import { connectClient } from '../client/temporal-connection';
import { VerificationClient } from '../client/verification-client';
import { taskQueueFromEnv } from '../service/config';
import { OPS_USAGE, OpsUsageError, isHelpRequest, parseOpsArgs } from './ops-args';
import { runOpsCommand } from './ops-commands';
import { errorLine } from './error-line';
import { apiKeyEntry } from './api-key-entry';

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Exit codes: 2 for bad input (nothing was attempted), 1 for a command that failed. */
const EXIT_USAGE = 2;
const EXIT_FAILED = 1;

async function main(argv: string[]): Promise<void> {
  if (isHelpRequest(argv)) {
    process.stdout.write(`${OPS_USAGE}\n`);
    return;
  }
  const command = parseOpsArgs(argv);
  if (command.name === 'hash-api-key') {
    // Needs no Temporal: it only makes (or hashes) a key.
    const key = command.fromStdin ? await readStdin() : null;
    process.stdout.write(`${JSON.stringify(apiKeyEntry(key))}\n`);
    return;
  }
  const temporal = await connectClient();
  try {
    const verifications = new VerificationClient(temporal.client, { taskQueue: taskQueueFromEnv() });
    const result = await runOpsCommand(command, {
      verifications,
      operatorService: temporal.connection.operatorService,
      namespace: temporal.namespace,
    });
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await temporal.connection.close();
  }
}

/** The command line's whole run, exit code included: `npm run ops -- …` and `node dist/main.js ops …`. */
export function runOpsCommandLine(argv: string[]): void {
  main(argv).catch((err: unknown) => {
    process.stderr.write(`error: ${errorLine(err)}\n`);
    process.exit(err instanceof OpsUsageError ? EXIT_USAGE : EXIT_FAILED);
  });
}

if (require.main === module) runOpsCommandLine(process.argv.slice(2));
