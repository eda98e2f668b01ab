/**
 * `npm start`: the whole service on this machine in one command (Temporal dev server with its Web UI, the
 * Caliza sandbox double, the worker and the webhook receiver), or the service against an existing Temporal
 * and the real Caliza when TEMPORAL_ADDRESS / CALIZA_API_BASE_URL are set. Ctrl-C stops every part.
 */
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { installRuntime } from '../src/service/runtime';
import { createConsoleLogger, logFormatFromEnv } from './console-log';
import { removePidFile, stopLeftoverDevServer, writePidFile } from './dev-server-pid-file';
import { addressInUseHint, assertPortFree } from './port-check';
import {
  type DevServerPart,
  type RunningStack,
  type StackOptions,
  type StackProgress,
  startStack,
} from './stack';
import { DEFAULT_DEV_PORT, stackOptionsFromEnv } from './stack-env';
import { ensureTemporalCli } from './temporal-cli-install';
import { PROJECT_ROOT, temporalCliPath } from './tool-paths';

/** Next to the server's data, so two launchers with different data never touch each other's server. */
function pidFileFor(temporal: StackOptions['temporal']): string | null {
  if (temporal?.kind !== 'dev-server') return null;
  return temporal.dbFilename
    ? `${temporal.dbFilename}.pid`
    : path.join(PROJECT_ROOT, '.data', `temporal-dev-${temporal.port ?? DEFAULT_DEV_PORT}.pid`);
}

/** After this long, a stop that is still waiting (say, on in-flight Caliza calls) gives way to an exit. */
const STOP_GRACE_MS = 20_000;

const LABELS: Record<StackProgress['part'], string> = {
  temporal: 'Temporal',
  'search-attributes': 'Search attributes',
  'workflow-bundle': 'Workflows',
  caliza: 'Caliza',
  'codec-server': 'Codec server',
  worker: 'Worker',
  webhooks: 'Webhooks',
};

const say = (line = ''): boolean => process.stdout.write(`${line}\n`);
const step = (mark: string, label: string, detail: string): boolean =>
  say(`  ${mark} ${label.padEnd(18)} ${detail}`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const relative = (file: string): string => {
  const shorter = path.relative(process.cwd(), file);
  return shorter === '' || shorter.startsWith('..') ? file : shorter;
};

async function main(): Promise<void> {
  const began = performance.now();
  const logger = createConsoleLogger('caliza-kyc', logFormatFromEnv());
  say('Caliza KYC/KYB verification service, local stack');
  const options = stackOptionsFromEnv(process.env);
  const pidFile = pidFileFor(options.temporal);
  installRuntime(logger, { sdkLogLevel: 'warn' });

  let stack: RunningStack | null = null;
  let stopping = false;
  let startupInterrupted = false;
  const stop = async (reason: string, exitCode: number): Promise<void> => {
    if (stopping) return;
    stopping = true;
    say(`\n${reason}: stopping every part…`);
    const forced = setTimeout(() => {
      say('Stopping takes too long; exiting now.');
      process.exit(exitCode || 1);
    }, STOP_GRACE_MS);
    forced.unref();
    try {
      await stack?.stop();
      if (pidFile) removePidFile(pidFile);
      say('Stopped.');
    } catch (err) {
      say(`Stopped, with errors: ${oneLine(err)}`);
      exitCode ||= 1;
    }
    process.exit(exitCode);
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stack) {
      void stop(signal, 0);
    } else if (!startupInterrupted) {
      // Parts are still starting: stop them once they are up rather than leave half of them behind.
      startupInterrupted = true;
      say(`\n${signal}: stopping as soon as the parts that are starting are up (again to exit at once)`);
    } else {
      process.exit(130);
    }
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  if (options.temporal?.kind === 'dev-server' && pidFile) await prepareDevServer(options.temporal, pidFile);

  stack = await startStack({
    ...options,
    ...(options.temporal?.kind === 'dev-server' && {
      temporal: {
        ...options.temporal,
        onOutput: (line: string) => logger.child({ component: 'temporal' }).debug(line),
      },
    }),
    logger,
    onProgress: (event) =>
      step(
        event.phase === 'ready' ? '✓' : '…',
        LABELS[event.part],
        event.elapsedMs === undefined ? event.detail : `${event.detail} (${seconds(event.elapsedMs)})`,
      ),
  });
  const serverPid = stack.temporal.devServer?.process.pid;
  if (pidFile && serverPid) writePidFile(pidFile, serverPid);
  if (startupInterrupted) return stop('Interrupted during start-up', 130);
  stack.workerDone.then(
    () => (stopping ? undefined : stop('The worker stopped', 1)),
    (err: unknown) => stop(`The worker failed: ${oneLine(err)}`, 1),
  );

  say(`\nReady in ${seconds(performance.now() - began)}.\n`);
  printSummary(stack);
}

async function prepareDevServer(temporal: DevServerPart, pidFile: string): Promise<void> {
  if (!existsSync(temporalCliPath())) {
    step(
      '…',
      'Temporal CLI',
      `not at ${relative(temporalCliPath())}: installing it (once; the build takes minutes)`,
    );
  }
  const installed = await ensureTemporalCli();
  step('✓', 'Temporal CLI', `${relative(temporalCliPath())}${installed ? ' (installed now)' : ''}`);
  const leftover = await stopLeftoverDevServer(pidFile);
  if (leftover !== null)
    step('✓', 'Temporal', `stopped a dev server left running by an earlier start (pid ${leftover})`);
  mkdirSync(path.dirname(pidFile), { recursive: true });
  await assertPortFree(temporal.port ?? DEFAULT_DEV_PORT, 'TEMPORAL_DEV_PORT');
  if (temporal.uiPort) await assertPortFree(temporal.uiPort, 'TEMPORAL_DEV_UI_PORT');
}

function printSummary(stack: RunningStack): void {
  const { temporal, caliza, webhooks } = stack;
  const rows: [string, string][] = [
    [
      'Temporal gRPC',
      `${temporal.address} (namespace ${temporal.namespace}${temporal.devServer ? ', local dev server' : ''})`,
    ],
    [
      'Temporal Web UI',
      temporal.uiUrl
        ? `${temporal.uiUrl}/namespaces/${temporal.namespace}/workflows`
        : 'the Web UI of your Temporal service',
    ],
    caliza.sandbox
      ? ['Caliza', `sandbox double at ${caliza.sandbox.url} (admin API ${caliza.sandbox.adminUrl})`]
      : ['Caliza', caliza.apiBaseUrl],
    ['Webhook receiver', webhooks.url],
    [
      'Caliza calls',
      caliza.webhookUrl
        ? `${caliza.webhookUrl}${caliza.webhookUrl === webhooks.url || caliza.sandbox ? ' (registered now)' : ''}`
        : 'no webhook URL known; polling still decides every verification',
    ],
    ['Task queue', stack.taskQueue],
  ];
  if (stack.codecServer)
    rows.push(['Codec server', `${stack.codecServer.url} (the Web UI decrypts through it)`]);
  for (const [label, value] of rows) say(`  ${label.padEnd(18)} ${value}`);

  const target =
    temporal.devServer && temporal.address !== `127.0.0.1:${DEFAULT_DEV_PORT}`
      ? `TEMPORAL_ADDRESS=${temporal.address} `
      : '';
  say('');
  if (caliza.sandbox) {
    say('Create a beneficiary on the sandbox double (prints its beneficiaryId):');
    say(`  npm run create-beneficiary -- individual|business`);
  }
  say('Start a verification for a beneficiary that exists at Caliza:');
  say(`  ${target}npm run starter -- <beneficiaryId> [--wait]`);
  if (caliza.sandbox) say(`See every outcome on the sandbox double:\n  ${target}npm run demo`);
  say(`Inspect or steer one (docs/operating.md):\n  ${target}npm run ops -- state <beneficiaryId>`);
  say('\nCtrl-C stops everything.');
}

/** Configuration errors list their problems on several lines; a terminal line holds them all. */
function oneLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).replace(/\s*\n\s*/g, ' ');
}

main().catch((err: unknown) => {
  const hint = addressInUseHint(err);
  process.stderr.write(`\nerror: ${oneLine(err)}\n${hint ? `hint: ${hint}\n` : ''}`);
  process.exit(1);
});
