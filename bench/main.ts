/**
 * `npm run bench`: a reproducible benchmark of the verification service on the embedded stack (Temporal dev
 * server, Caliza sandbox double, real worker, real webhook receiver) and the time-skipping test server.
 * Writes bench/results/<timestamp>.json and .md and prints the Markdown. See docs/benchmarks.md.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { PROJECT_ROOT } from '../dev/tool-paths';
import { type BenchOptions, type SectionName, USAGE, parseBenchArgs } from './options';
import { type BenchReport, REPORT_SCHEMA, checkTargets, machineInfo, toMarkdown } from './report';
import { fileLogger, installBenchRuntime, timeSkippingEnv, workflowBundle } from './runtime';
import { ServerMetrics } from './server-metrics';
import { runEndToEnd } from './sections/end-to-end';
import { runHistory, runPolling } from './sections/history';
import { runMemory } from './sections/memory';
import { runReceiver } from './sections/receiver';
import { runStartLatency } from './sections/start-latency';
import { type TemporalLab, startTemporalLab } from './stack';
import { Progress } from './util';

/** Defaults of the end-to-end section: the double's decision delay and processing time. */
const AUTO_DECIDE = { minDelayMs: 100, maxDelayMs: 1_000, approveShare: 0.8 };
const PROCESSING_DELAY_MS = 100;

function timestampForFile(date: Date): string {
  return date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');
}

export async function runBenchmark(
  options: BenchOptions,
  argv: string[],
): Promise<{ report: BenchReport; files: { json: string; markdown: string } }> {
  const startedAt = new Date();
  const outDir = path.resolve(PROJECT_ROOT, options.outDir);
  mkdirSync(outDir, { recursive: true });
  const base = path.join(outDir, timestampForFile(startedAt));
  const logFile = `${base}.log`;
  const progress = new Progress(options.quiet);
  const logger = fileLogger(logFile, options.logLevel);
  installBenchRuntime(logger);
  const machine = machineInfo();
  progress.step(
    `machine: ${machine.cpuModel}, ${machine.cores} cores, ${machine.memoryGiB} GiB, Node ${machine.node}`,
  );
  progress.step(`sections: ${options.sections.join(', ')}; log: ${path.relative(PROJECT_ROOT, logFile)}`);

  const wants = (s: SectionName) => options.sections.includes(s);
  const bundleDir = path.join(outDir, '.bundles');
  progress.step('bundling workflow code');
  const workflowBundlePath = await workflowBundle(
    require.resolve('../src/workflows'),
    path.join(bundleDir, 'workflows.js'),
    options.workflowBundle,
  );
  const baselineBundlePath =
    wants('e2e') || wants('start')
      ? await workflowBundle(
          path.join(__dirname, 'baseline-workflow.ts'),
          path.join(bundleDir, 'baseline.js'),
        )
      : '';

  const sections: BenchReport['sections'] = {};
  const errors: BenchReport['errors'] = {};
  const attempt = async (name: SectionName, run: () => Promise<void>) => {
    try {
      await run();
    } catch (err) {
      errors[name] = err instanceof Error ? err.message : String(err);
      progress.step(`${name} failed: ${errors[name]}`);
      logger.error({ err, section: name }, 'section failed');
    }
  };

  let lab: TemporalLab | null = null;
  let temporalServer: string | null = null;
  if (wants('e2e') || wants('start') || wants('receiver') || wants('memory')) {
    progress.step(
      options.server === 'cluster'
        ? 'connecting to the self-hosted cluster'
        : 'starting the Temporal dev server',
    );
    try {
      lab = await startTemporalLab(options.server);
      temporalServer = `${lab.kind} at ${lab.address}`;
    } catch (err) {
      // Every section that needs the dev server fails with its error; the others still run.
      const message = `${options.server === 'cluster' ? 'cluster' : 'dev server'}: ${err instanceof Error ? err.message : String(err)}`;
      for (const name of ['e2e', 'start', 'receiver', 'memory'] as const)
        if (wants(name)) errors[name] = message;
    }
  }
  try {
    if (lab && wants('e2e')) {
      const l = lab;
      await attempt('e2e', async () => {
        sections.endToEnd = await runEndToEnd(
          {
            lab: l,
            logger,
            progress,
            tuning: options.tuning,
            workflowBundlePath,
            baselineBundlePath,
            serverMetrics: new ServerMetrics(l.metricsUrls),
          },
          {
            n: options.n,
            concurrency: options.concurrency,
            warmup: options.warmup,
            autoDecide: AUTO_DECIDE,
            processingDelayMs: PROCESSING_DELAY_MS,
            seed: options.seed,
          },
        );
      });
    }
    if (lab && wants('start')) {
      const l = lab;
      await attempt('start', async () => {
        // Half the capacity the baseline showed in this run: a steady load, well short of queueing.
        const capacity = sections.endToEnd?.baseline.perSecond;
        const ratePerSecond =
          options.startRate ?? (capacity !== undefined && capacity > 0 ? Math.max(1, capacity / 2) : null);
        if (ratePerSecond === null)
          throw new Error('the start section needs the e2e section or --start-rate');
        sections.startLatency = await runStartLatency(
          l,
          logger,
          {
            ratePerSecond: Math.round(ratePerSecond * 10) / 10,
            rateSource: options.startRate !== undefined ? '--start-rate' : 'half the e2e baseline per second',
            durationSeconds: options.startSeconds,
            warmup: options.quick ? 2 : 10,
            tuning: options.tuning,
            workflowBundlePath,
            baselineBundlePath,
            seed: options.seed,
          },
          progress,
        );
      });
    }
    if (lab && wants('receiver')) {
      const l = lab;
      await attempt('receiver', async () => {
        sections.receiver = await runReceiver(
          l,
          logger,
          {
            verifications: options.quick ? 10 : 50,
            connections: options.receiverConnections,
            durationSeconds: options.receiverSeconds,
            tuning: options.tuning,
            workflowBundlePath,
            seed: options.seed,
          },
          progress,
        );
      });
    }
    if (lab && wants('memory')) {
      const l = lab;
      await attempt('memory', async () => {
        const most = Math.max(options.pending, options.pendingLarge);
        progress.step(`memory: one worker process, up to ${most} pending verifications`);
        sections.memory = await runMemory(
          l,
          {
            pending: options.pending,
            pendingLarge: options.pendingLarge,
            tuning: options.tuning,
            workflowBundlePath,
            logFile,
            logLevel: options.logLevel,
            ...(options.workerHeapMb !== undefined && { heapLimitMb: options.workerHeapMb }),
          },
          progress,
        );
      });
    }
  } finally {
    if (lab) {
      progress.step(
        options.server === 'cluster' ? 'closing the cluster connections' : 'stopping the dev server',
      );
      await lab.close();
    }
  }

  if (wants('history') || wants('polling')) {
    let env: TestWorkflowEnvironment | null = null;
    try {
      progress.step('starting the time-skipping test server');
      env = await timeSkippingEnv();
      const ctx = { env, workflowBundlePath, progress };
      if (wants('history')) {
        await attempt('history', async () => {
          sections.history = await runHistory(ctx);
        });
      }
      if (wants('polling')) {
        await attempt('polling', async () => {
          sections.polling = await runPolling(ctx);
        });
      }
    } catch (err) {
      // The time-skipping server did not start: both sections that need it fail with its error.
      const message = err instanceof Error ? err.message : String(err);
      if (wants('history')) errors.history ??= message;
      if (wants('polling')) errors.polling ??= message;
    } finally {
      await env?.teardown().catch(() => undefined);
    }
  }

  const finishedAt = new Date();
  machine.loadAverage.atEnd = Math.round((os.loadavg()[0] ?? 0) * 100) / 100;
  const { outDir: _o, quiet: _q, ...reportedOptions } = options;
  const report: BenchReport = {
    schema: REPORT_SCHEMA,
    label: options.label ?? null,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationSeconds: Math.round((finishedAt.getTime() - startedAt.getTime()) / 1000),
    command: `npm run bench${argv.length > 0 ? ` -- ${argv.join(' ')}` : ''}`,
    argv,
    machine,
    temporalServer,
    options: reportedOptions,
    workerTuning: sections.endToEnd?.tuning ?? null,
    sections,
    errors,
    targets: checkTargets({ sections }),
  };
  const files = { json: `${base}.json`, markdown: `${base}.md` };
  writeFileSync(files.json, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(files.markdown, toMarkdown(report));
  logger.flush();
  return { report, files };
}

/**
 * `npm run bench -- --render <report.json>`: writes the report's Markdown again with this version of the
 * report (its targets checked again), next to the JSON; the figures are the recorded ones.
 */
function render(jsonPath: string): void {
  const report = JSON.parse(readFileSync(jsonPath, 'utf8')) as BenchReport;
  report.temporalServer ??= null;
  report.targets = checkTargets(report);
  const markdownPath = jsonPath.replace(/\.json$/, '.md');
  writeFileSync(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  writeFileSync(markdownPath, toMarkdown(report));
  process.stderr.write(`Rendered ${path.relative(process.cwd(), markdownPath)}\n`);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  if (argv[0] === '--render') {
    if (argv.length !== 2) throw new Error('usage: npm run bench -- --render <report.json>');
    render(argv[1] as string);
    return;
  }
  const options = parseBenchArgs(argv);
  if (options === 'help') {
    process.stdout.write(USAGE);
    return;
  }
  const { report, files } = await runBenchmark(options, argv);
  process.stdout.write(toMarkdown(report));
  process.stderr.write(
    `\nReport: ${path.relative(process.cwd(), files.json)} and ${path.relative(process.cwd(), files.markdown)}\n`,
  );
  process.exitCode = Object.keys(report.errors).length > 0 ? 1 : 0;
}

if (require.main === module) {
  main()
    .catch((err: unknown) => {
      process.stderr.write(`bench: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exitCode = 2;
    })
    // Native SDK handles can keep the process alive after everything is closed.
    .finally(() => setTimeout(() => process.exit(), 100).unref());
}
