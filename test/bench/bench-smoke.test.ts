/**
 * Smoke test of `npm run bench`: runs it at its smallest size (`--quick`) in a child process and checks that
 * it writes a well-formed report with every section. No timing figure is asserted: only presence and
 * sanity (counts, shapes), so a slow or busy machine cannot fail it.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import type { BenchReport } from '../../bench/report';
import { PROJECT_ROOT } from '../../dev/tool-paths';

const run = promisify(execFile);

describe('npm run bench -- --quick', () => {
  let outDir: string;
  let report: BenchReport;
  let markdown: string;
  let stdout: string;

  beforeAll(async () => {
    outDir = mkdtempSync(path.join(os.tmpdir(), 'bench-smoke-'));
    const bundle = process.env.TEST_WORKFLOW_BUNDLE;
    const args = [
      '--import',
      'tsx',
      'bench/main.ts',
      '--quick',
      '--quiet',
      '--label',
      'smoke',
      '--out',
      outDir,
      ...(bundle ? ['--workflow-bundle', bundle] : []),
    ];
    ({ stdout } = await run(process.execPath, args, {
      cwd: PROJECT_ROOT,
      timeout: 150_000,
      maxBuffer: 10 * 1024 * 1024,
    }));
    const files = readdirSync(outDir);
    const json = files.find((f) => f.endsWith('.json'));
    const md = files.find((f) => f.endsWith('.md'));
    if (!json || !md) throw new Error(`no report in ${outDir}: ${files.join(', ')}`);
    report = JSON.parse(readFileSync(path.join(outDir, json), 'utf8')) as BenchReport;
    markdown = readFileSync(path.join(outDir, md), 'utf8');
  }, 160_000);

  afterAll(() => {
    if (outDir && existsSync(outDir)) rmSync(outDir, { recursive: true, force: true });
  });

  it('records the machine, the command and the options', () => {
    expect(report.schema).toBe('caliza-kyc-bench/1');
    expect(report.label).toBe('smoke');
    expect(report.command).toMatch(/^npm run bench -- .*--quick/);
    expect(report.machine.cores).toBeGreaterThan(0);
    expect(report.machine.memoryGiB).toBeGreaterThan(0);
    expect(report.machine.cpuModel.length).toBeGreaterThan(0);
    expect(report.machine.node).toBe(process.version);
    expect(report.options.quick).toBe(true);
    expect(report.errors).toEqual({});
  });

  it('runs every section', () => {
    expect(Object.keys(report.sections).sort()).toEqual([
      'endToEnd',
      'history',
      'memory',
      'polling',
      'receiver',
      'startLatency',
    ]);
  });

  it('end to end: every verification and every baseline workflow completed, with a ratio', () => {
    const e2e = report.sections.endToEnd!;
    expect(e2e.verifications.completed).toBe(e2e.options.n);
    expect(e2e.baseline.completed).toBe(e2e.options.n);
    expect(e2e.verifications.deliveryToResultMs.count).toBe(e2e.options.n);
    expect(e2e.verifications.perSecond).toBeGreaterThan(0);
    expect(e2e.baseline.perSecond).toBeGreaterThan(0);
    expect(Number.isFinite(e2e.throughputRatio)).toBe(true);
    expect(e2e.verifications.decidedBy.WEBHOOK).toBeGreaterThan(0);
    expect(e2e.verifications.eventsPerRun.min).toBeGreaterThan(0);
  });

  it('history: every path has events, and the 30-day run continued as new', () => {
    const paths = report.sections.history!.paths;
    for (const name of ['webhook', 'polling', 'deadline', 'pending30Days'] as const) {
      expect(paths[name].events).toBeGreaterThan(0);
    }
    expect(paths.webhook.theoreticalMinimum).toBeGreaterThan(0);
    expect(paths.webhook.events).toBeGreaterThanOrEqual(paths.webhook.theoreticalMinimum!);
    expect(paths.pending30Days.runs.length).toBeGreaterThan(1);
  });

  it('memory: RSS samples as the pending verifications arrive', () => {
    const memory = report.sections.memory!;
    expect(memory.points.length).toBeGreaterThan(1);
    expect(memory.points[memory.points.length - 1]!.pending).toBe(memory.pending);
    expect(memory.peakRssMB).toBeGreaterThan(0);
    expect(memory.maxCachedWorkflows).toBeGreaterThan(0);
  });

  it('start: every start() and every bare update-with-start answered, at the same rate, with a ratio', () => {
    const start = report.sections.startLatency!;
    for (const run of [start.baseline, start.verifications]) {
      expect(run.failed).toBe(0);
      expect(run.latencyMs.count).toBe(run.sent);
    }
    expect(start.verifications.sent).toBe(start.baseline.sent);
    expect(Number.isFinite(start.p99Ratio)).toBe(true);
  });

  it('receiver: every delivery was loaded, with no failed request', () => {
    const receiver = report.sections.receiver!;
    for (const run of [receiver.withSignal, receiver.rawSignalWithStart, receiver.noOpDelivery]) {
      expect(run.total).toBeGreaterThan(0);
      expect(run.non2xx + run.errors).toBe(0);
    }
    expect(receiver.signalsAccepted).toBeGreaterThan(0);
  });

  it('polling: the time-skipping run makes exactly the calls the schedule predicts', () => {
    const polling = report.sections.polling!;
    expect(polling.computed.total).toBe(117);
    expect(polling.measured.total).toBe(polling.computed.total);
  });

  it('writes a Markdown summary with every section and prints it', () => {
    for (const heading of [
      '## Targets',
      '## 1. End to end',
      '## 1b. start() → verificationUrl',
      '## 2. History cost',
      '## 3. Worker memory',
      '## 4. Webhook receiver',
      '## 5. Polling cost',
    ]) {
      expect(markdown).toContain(heading);
    }
    expect(stdout).toContain('## Targets');
    // The figures: two end to end, start, events, memory, receiver, polling (100,000 pending is opt-in).
    expect(report.targets.map((t) => t.name)).toHaveLength(7);
  });
});
