/**
 * `npm run demo`: against a running `npm start`, verifies seven beneficiaries so that every outcome shows
 * up once (approved and rejected by webhook, approved by polling after a dropped webhook, expired,
 * cancelled), printing each as it lands. It needs the Caliza sandbox double: it decides on its hosted page
 * and drops a webhook through its admin API, neither of which the real Caliza offers.
 */
import { connectClient } from '../../src/client/temporal-connection';
import { VerificationClient } from '../../src/client/verification-client';
import { taskQueueFromEnv } from '../../src/service/config';
import { type DemoOutcome, runDemo } from './demo-run';
import { connectSandboxCaliza } from '../sandbox-caliza';

const say = (line = ''): boolean => process.stdout.write(`${line}\n`);

async function main(): Promise<number> {
  const { admin, info, caliza } = await connectSandboxCaliza(
    process.env,
    'the demo',
    'It cannot run against the real Caliza API: it decides on the double’s hosted page and drops a webhook through its admin API.',
  );
  if (!info.callbackUrl) {
    throw new Error(
      `the sandbox double at ${info.url} has no webhook URL, so no webhook would reach the service: start everything with \`npm start\``,
    );
  }

  const temporal = await connectClient();
  try {
    const taskQueue = taskQueueFromEnv();
    await assertWorkerPolling(temporal.client, temporal.namespace, taskQueue);
    say(`Caliza sandbox double  ${info.url} (webhooks to ${info.callbackUrl})`);
    say(`Temporal               namespace ${temporal.namespace}, task queue ${taskQueue}`);
    say('');
    const outcomes = await runDemo({
      verifications: new VerificationClient(temporal.client, { taskQueue }),
      caliza,
      admin,
      report: say,
      runTag: Date.now().toString(36),
    });
    printSummary(outcomes, temporal.namespace);
    return outcomes.every((outcome) => outcome.ok) ? 0 : 1;
  } finally {
    await temporal.connection.close();
  }
}

/** A demo with no worker would wait for outcomes that never come; say so up front instead. */
async function assertWorkerPolling(
  client: Awaited<ReturnType<typeof connectClient>>['client'],
  namespace: string,
  taskQueue: string,
): Promise<void> {
  const answer = await client.workflowService.describeTaskQueue({
    namespace,
    taskQueue: { name: taskQueue, kind: 1 /* NORMAL */ },
    taskQueueType: 1 /* WORKFLOW */,
  });
  if ((answer.pollers ?? []).length === 0) {
    throw new Error(
      `no worker polls task queue ${taskQueue} in namespace ${namespace}: is \`npm start\` running?`,
    );
  }
}

function printSummary(outcomes: DemoOutcome[], namespace: string): void {
  const failed = outcomes.filter((outcome) => !outcome.ok);
  say('');
  say(
    failed.length === 0
      ? `All ${outcomes.length} verifications reached the expected outcome.`
      : `${failed.length} of ${outcomes.length} verifications did not reach the expected outcome.`,
  );
  const ids = outcomes.map((outcome) => `"${outcome.beneficiaryId}"`).join(', ');
  const query = `BeneficiaryId IN (${ids})`;
  const ui = process.env.TEMPORAL_UI_URL?.trim() || 'http://127.0.0.1:8233';
  say('');
  say('See them in the Temporal Web UI:');
  say(`  ${ui}/namespaces/${namespace}/workflows?query=${encodeURIComponent(query)}`);
  say('and find runs like them with the queries in docs/operating.md, e.g.');
  say('  VerificationOutcome="EXPIRED"');
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(
      `error: ${(err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ')}\n`,
    );
    process.exit(1);
  },
);
