/** The benchmark report: the machine, the command, every section's figures, the targets; JSON and Markdown. */
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import { temporalCliPath } from '../dev/tool-paths';
import type { BenchOptions, SectionName } from './options';
import type { EndToEndResult, BatchResult } from './sections/end-to-end';
import type { HistoryResult, PollingResult } from './sections/history';
import type { MemoryResult } from './sections/memory';
import type { ReceiverResult } from './sections/receiver';
import type { StartLatencyResult } from './sections/start-latency';
import { type Distribution, ratio, round } from './stats';

export const REPORT_SCHEMA = 'caliza-kyc-bench/1';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  os: string;
  temporalCli: string | null;
  /** 1-minute load average when the run started and ended: other work on the machine skews timings. */
  loadAverage: { atStart: number; atEnd: number | null };
}

export interface TargetCheck {
  name: string;
  target: string;
  value: number | null;
  /** null when this run's sizes cannot judge it (e.g. fewer than 1,000 verifications). */
  met: boolean | null;
  note?: string;
}

export interface BenchReport {
  schema: typeof REPORT_SCHEMA;
  label: string | null;
  startedAt: string;
  finishedAt: string;
  durationSeconds: number;
  command: string;
  argv: string[];
  machine: MachineInfo;
  /** Where the sections that need a Temporal server ran (none ran: null). */
  temporalServer: string | null;
  options: Omit<BenchOptions, 'outDir' | 'quiet'>;
  workerTuning: Record<string, unknown> | null;
  sections: {
    endToEnd?: EndToEndResult;
    startLatency?: StartLatencyResult;
    history?: HistoryResult;
    memory?: MemoryResult;
    receiver?: ReceiverResult;
    polling?: PollingResult;
  };
  errors: Partial<Record<SectionName, string>>;
  targets: TargetCheck[];
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus();
  let temporalCli: string | null = null;
  try {
    temporalCli = execFileSync(temporalCliPath(), ['--version'], {
      encoding: 'utf8',
      timeout: 10_000,
    }).trim();
  } catch {
    temporalCli = null;
  }
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: cpus.length,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    temporalCli,
    loadAverage: { atStart: round2(os.loadavg()[0] ?? 0), atEnd: null },
  };
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}

/** The targets of docs/benchmarks.md, each judged from this run's own figures (ratios within the run). */
export function checkTargets(report: Pick<BenchReport, 'sections'>): TargetCheck[] {
  const { endToEnd, startLatency, history, memory, receiver, polling } = report.sections;
  const checks: TargetCheck[] = [];
  const judged = (value: number, met: boolean) => (Number.isFinite(value) ? met : false);
  if (endToEnd) {
    const atScale = endToEnd.options.n >= 1_000;
    const scale = atScale ? {} : { note: `only ${endToEnd.options.n} verifications in this run` };
    checks.push({
      name: 'End-to-end verifications/s ÷ bare workflow',
      target: '≥ 0.9',
      value: endToEnd.throughputRatio,
      met: atScale ? judged(endToEnd.throughputRatio, endToEnd.throughputRatio >= 0.9) : null,
      ...scale,
    });
    const p99Ratio = ratio(
      endToEnd.verifications.deliveryToResultMs.p99,
      endToEnd.baseline.deliveryToResultMs.p99,
    );
    checks.push({
      name: 'Webhook delivery → result p99 ÷ baseline p99',
      target: '≤ 1.2',
      value: p99Ratio,
      met: atScale ? judged(p99Ratio, p99Ratio <= 1.2) : null,
      ...scale,
    });
  }
  // Without the history section, the typical run of the end-to-end batch (all on the webhook path).
  const events = history?.paths.webhook.events ?? endToEnd?.verifications.eventsPerRun.p50;
  if (events !== undefined) {
    checks.push({ name: 'History events, webhook path', target: '16', value: events, met: events <= 16 });
  }
  if (startLatency) {
    const r = startLatency.p99Ratio;
    checks.push({
      name: 'start() → verificationUrl p99 ÷ bare update-with-start, open loop',
      target: '≤ 1.3',
      value: r,
      met: judged(r, r <= 1.3),
    });
  }
  if (memory) {
    const atScale = memory.pending >= 10_000;
    checks.push({
      name: `Worker RSS holding ${memory.pending} pending, peak included`,
      target: '< 400 MB',
      value: Math.max(memory.peakRssMB, memory.rssAtFullLoadMB),
      met: atScale ? Math.max(memory.peakRssMB, memory.rssAtFullLoadMB) < 400 : null,
      ...(!atScale && { note: `only ${memory.pending} pending in this run` }),
    });
    if (memory.large) {
      checks.push({
        name: `Worker RSS holding ${memory.large.pending} pending, peak of the whole run included`,
        target: '< 400 MB',
        value: Math.max(memory.large.rssMB, memory.large.peakRssMB),
        met:
          memory.large.pending >= 100_000 ? Math.max(memory.large.rssMB, memory.large.peakRssMB) < 400 : null,
        ...(memory.large.pending < 100_000 && { note: `only ${memory.large.pending} pending in this run` }),
      });
    }
  }
  if (receiver) {
    checks.push({
      name: 'Webhook receiver requests/s ÷ raw signalWithStart',
      target: '≥ 0.9',
      value: receiver.throughputRatio,
      met: judged(receiver.throughputRatio, receiver.throughputRatio >= 0.9),
    });
  }
  if (polling) {
    checks.push({
      name: 'Caliza calls, all webhooks lost, 30-day deadline (time-skipping run)',
      target: '≤ 150',
      value: polling.measured.total,
      met: polling.measured.total <= 150,
    });
  }
  return checks;
}

// ---------------------------------------------------------------------------------------------- Markdown

const fmt = (x: number | null | undefined, digits = 0): string =>
  x === null || x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(digits);
const dist = (d: Distribution): string => `${fmt(d.p50)} / ${fmt(d.p95)} / ${fmt(d.p99)}`;

function table(head: string[], rows: (string | number)[][]): string {
  const line = (cells: (string | number)[]) => `| ${cells.join(' | ')} |`;
  return [line(head), line(head.map(() => '---')), ...rows.map(line)].join('\n');
}

function cpuLine(batch: BatchResult): string {
  return Object.entries(batch.cpu.byPart)
    .sort((a, b) => b[1].cpuSeconds - a[1].cpuSeconds)
    .map(([part, v]) => `${part.replace('bench process: ', '')} ${v.percentOfCore}%`)
    .join(', ');
}

/** CPU (ms) per completed workflow: the Temporal server's processes, this process, and both. */
export function cpuPerWorkflowMs(batch: BatchResult): { server: number; bench: number; total: number } {
  let server = 0;
  let bench = 0;
  for (const [part, v] of Object.entries(batch.cpu.byPart)) {
    if (part.startsWith('bench process: ')) bench += v.cpuSeconds;
    else server += v.cpuSeconds;
  }
  const per = (seconds: number) => (batch.completed > 0 ? round((seconds * 1000) / batch.completed, 1) : NaN);
  return { server: per(server), bench: per(bench), total: per(server + bench) };
}

function serverFigure(batch: BatchResult, key: string): string {
  const value = batch.server?.[key];
  return typeof value === 'number' ? String(value) : '—';
}

function cpuFigure(batch: BatchResult): string {
  const c = cpuPerWorkflowMs(batch);
  return `${fmt(c.server, 1)} + ${fmt(c.bench, 1)} = ${fmt(c.total, 1)}`;
}

function endToEndMarkdown(e: EndToEndResult): string {
  const v = e.verifications;
  const b = e.baseline;
  const wft = (batch: BatchResult, task: number, which: 'queueMs' | 'workerMs') => {
    const t = batch.workflowTaskTimings.find((x) => x.task === task);
    return t ? `${fmt(t[which].p50)} / ${fmt(t[which].p99)}` : '—';
  };
  const rows: (string | number)[][] = [
    ['Completed', `${v.completed} / ${v.n}`, `${b.completed} / ${b.n}`],
    ['**Per second**', `**${fmt(v.perSecond, 1)}**`, `**${fmt(b.perSecond, 1)}**`],
    ['Wall time, first start → last completion (s)', fmt(v.wallSeconds, 1), fmt(b.wallSeconds, 1)],
    ['Start round trip p50 / p95 / p99 (ms)', dist(v.startMs), dist(b.startMs)],
    [
      '**Delivery → result** p50 / p95 / p99 (ms)',
      `**${dist(v.deliveryToResultMs)}**`,
      dist(b.deliveryToResultMs),
    ],
    ['Signal → completion, server clock (ms)', dist(v.signalToCompletionMs), dist(b.signalToCompletionMs)],
    [
      'History events per run p50 (max)',
      `${fmt(v.eventsPerRun.p50)} (${fmt(v.eventsPerRun.max)})`,
      `${fmt(b.eventsPerRun.p50)} (${fmt(b.eventsPerRun.max)})`,
    ],
    ['Workflow tasks per run p50', fmt(v.workflowTasksPerRun.p50), fmt(b.workflowTasksPerRun.p50)],
    ['Task 1: queue wait p50 / p99 (ms)', wft(v, 1, 'queueMs'), wft(b, 1, 'queueMs')],
    ['Task 1: in the worker p50 / p99 (ms)', wft(v, 1, 'workerMs'), wft(b, 1, 'workerMs')],
    ['Task 2: queue wait p50 / p99 (ms)', wft(v, 2, 'queueMs'), wft(b, 2, 'queueMs')],
    ['Task 2: in the worker p50 / p99 (ms)', wft(v, 2, 'workerMs'), wft(b, 2, 'workerMs')],
    [
      'Server persistence calls (ms) per workflow',
      `${serverFigure(v, 'persistenceCallsPerUnit')} (${serverFigure(v, 'persistenceMsPerUnit')})`,
      `${serverFigure(b, 'persistenceCallsPerUnit')} (${serverFigure(b, 'persistenceMsPerUnit')})`,
    ],
    [
      'Server visibility calls (ms) per workflow',
      `${serverFigure(v, 'visibilityCallsPerUnit')} (${serverFigure(v, 'visibilityMsPerUnit')})`,
      `${serverFigure(b, 'visibilityCallsPerUnit')} (${serverFigure(b, 'visibilityMsPerUnit')})`,
    ],
    [
      'Workflow tasks sync-matched to a waiting poller',
      serverFigure(v, 'syncMatchShare'),
      serverFigure(b, 'syncMatchShare'),
    ],
    ['CPU per workflow (ms): server + this process = total', cpuFigure(v), cpuFigure(b)],
  ];
  const ceiling = ratio(cpuPerWorkflowMs(b).total, cpuPerWorkflowMs(v).total);
  const o = e.options;
  return [
    `## 1. End to end: ${o.n} verifications started at once`,
    '',
    `The double decides each session ${o.autoDecide.minDelayMs}–${o.autoDecide.maxDelayMs} ms after it is created ` +
      `(${Math.round(o.autoDecide.approveShare * 100)} % approved), ${o.processingDelayMs} ms of processing, then ` +
      `sends the signed webhook to the receiver. Baseline: one local activity, one signal (sent after the same ` +
      `delay), complete; same server, same worker tuning. At most ${o.concurrency} starts in flight; ` +
      `${o.warmup} warm-up runs each, not counted.`,
    '',
    table(['', 'Verifications', 'Baseline'], rows),
    '',
    `**Throughput ratio: ${fmt(e.throughputRatio, 2)}** (verifications per second ÷ baseline workflows per second).`,
    '',
    `Outcomes: ${Object.entries(v.outcomes)
      .map(([k, n]) => `${k} ${n}`)
      .join(', ')}; decided by ` +
      `${Object.entries(v.decidedBy)
        .map(([k, n]) => `${k} ${n}`)
        .join(', ')}. Caliza calls per verification: ` +
      `${v.calizaCallsPerVerification}. Webhooks delivered to Temporal: ${v.webhooks.accepted}.`,
    '',
    `CPU over the batch (100 % = one core): verifications: ${cpuLine(v)}; baseline: ${cpuLine(b)}.`,
    '',
    `**CPU cost ratio: ${fmt(ceiling, 2)}** (the baseline's CPU per workflow ÷ a verification’s: the ` +
      'Temporal server’s processes, without a database server’s, and this process, the double included): ' +
      'where the cores are the limit, the throughput ratio tends to it.',
  ].join('\n');
}

function startLatencyMarkdown(r: StartLatencyResult): string {
  const row = (label: string, f: StartLatencyResult['baseline']) => [
    label,
    `${f.sent - f.failed} / ${f.sent}`,
    fmt(f.answeredPerSecond, 1),
    `${fmt(f.latencyMs.p50)} / ${fmt(f.latencyMs.p95)} / ${fmt(f.latencyMs.p99)}`,
    fmt(f.latencyMs.max),
  ];
  return [
    `## 1b. start() → verificationUrl at a steady ${r.options.ratePerSecond} starts/s (${r.options.rateSource}), ` +
      `${r.options.durationSeconds} s each`,
    '',
    'Open loop: each call is sent when it is due, whatever the earlier ones are doing, and timed from then. ' +
      'Baseline: update-with-start of a bare workflow whose update is answered after one local activity; same ' +
      'server, same worker tuning. Verifications: `VerificationClient.start()` (update-with-start, answered ' +
      'once the Caliza double has created the session); no decisions, so only the starts load the stack.',
    '',
    table(
      ['', 'Answered', 'Answers/s', 'Latency p50 / p95 / p99 (ms)', 'Max (ms)'],
      [row('Bare update-with-start', r.baseline), row('Verifications: start()', r.verifications)],
    ),
    '',
    `**p99 ratio: ${fmt(r.p99Ratio, 2)}**.`,
  ].join('\n');
}

function historyMarkdown(h: HistoryResult): string {
  const names: Record<string, string> = {
    webhook: 'Webhook',
    polling: 'Polling',
    deadline: 'Deadline',
    pending30Days: '30-day pending',
  };
  const rows = Object.entries(h.paths).map(([name, p]) => [
    names[name] ?? name,
    p.runs.length > 1
      ? `${p.totalEvents} in ${p.runs.length} runs (max ${Math.max(...p.runs)})`
      : String(p.events),
    p.theoreticalMinimum === null ? 'see docs' : String(p.theoreticalMinimum),
    String(p.workflowTasks),
    `${p.calizaCalls.create + p.calizaCalls.read}`,
    p.description,
  ]);
  const sequence = h.paths.webhook.sequence?.join(', ') ?? '';
  return [
    `## 2. History cost (${h.server})`,
    '',
    table(['Path', 'Events', 'Minimum', 'Workflow tasks (last run)', 'Caliza calls', 'What happens'], rows),
    '',
    `Webhook path, in order: ${sequence}.`,
  ].join('\n');
}

/** How the worker process started (reports before it was recorded have none). */
function workerLine(m: MemoryResult): string {
  const w = (m as Partial<MemoryResult>).worker;
  if (!w) return m.heapLimitMb ? `Worker run with --max-old-space-size=${m.heapLimitMb}.` : '';
  const limit = w.heapLimitMb === null ? 'Node’s default' : `${w.heapLimitMb} MB`;
  const given =
    m.heapLimitMb !== null ? `HEAP_LIMIT_MB=${m.heapLimitMb} (--worker-heap-mb)` : 'the service’s default';
  return (
    `Worker on Node ${w.node}, heap limit ${limit} (${w.heapLimitWhy}; V8 heap size limit ` +
    `${w.v8HeapSizeLimitMb} MB), ${given}.`
  );
}

function memoryMarkdown(m: MemoryResult): string {
  return [
    `## 3. Worker memory: ${m.pending} pending verifications in one worker process`,
    '',
    `Cache limit (maxCachedWorkflows): ${m.maxCachedWorkflows}. Idle RSS ${fmt(m.idleRssMB)} MB; ` +
      `**peak RSS ${fmt(m.peakRssMB)} MB** (while they arrive and the cache turns over); ` +
      `**RSS holding all ${m.pending}: ${fmt(m.rssAtFullLoadMB)} MB**. ` +
      `**${fmt(m.rssPerCachedWorkflowKB)} KB per cached workflow** (slope up to the cache limit); caching all ` +
      `${m.pending} would take about ${fmt(m.projectedRssAllCachedMB)} MB. Poll timers set to ` +
      `${m.pollIntervalMs / 3_600_000} h so that every workflow sits on its timer while measured. ` +
      workerLine(m) +
      (m.large
        ? ` Then on to ${m.large.pending}: **RSS ${fmt(m.large.rssMB)} MB** holding them, ` +
          `${m.large.cachedWorkflows} cached, peak ${fmt(m.large.peakRssMB)} MB over the whole run.`
        : ''),
    '',
    table(
      ['Pending', 'Cached', 'RSS (MB)', 'Peak so far (MB)', 'Main-thread heap (MB)'],
      m.points.map((p) => [p.pending, p.cachedWorkflows, fmt(p.rssMB), fmt(p.peakRssMB), fmt(p.heapUsedMB)]),
    ),
  ].join('\n');
}

function receiverMarkdown(r: ReceiverResult): string {
  const row = (label: string, f: ReceiverResult['withSignal']) => [
    label,
    fmt(f.requestsPerSecond),
    `${f.latencyMs.p50} / ${f.latencyMs.p90} / ${f.latencyMs.p99}`,
    f.total,
    f.non2xx + f.errors + f.timeouts,
  ];
  return [
    `## 4. Webhook receiver: ${r.options.connections} connections × ${r.options.durationSeconds} s, ` +
      `distinct signed events for ${r.options.verifications} running verifications`,
    '',
    `Each request is a new event (up to ${r.distinctBodiesPerRun} per run), so each costs the receiver one ` +
      'signal-with-start. Raw: the same calls straight from this process, as many in flight as there are ' +
      'connections.',
    '',
    table(
      ['Delivery', 'Requests/s', 'Latency p50 / p90 / p99 (ms)', 'Requests', 'Non-2xx + errors'],
      [
        row('Receiver: signature, parse, signal-with-start', r.withSignal),
        row('Raw signalWithStart, same process, same concurrency', r.rawSignalWithStart),
        row('Receiver with a no-op delivery', r.noOpDelivery),
      ],
    ),
    '',
    `**Ratio to raw signalWithStart: ${fmt(r.throughputRatio, 2)}** (to the no-op receiver: ` +
      `${fmt(r.noOpRatio, 3)}). Signals the receiver delivered: ${r.signalsAccepted}; duplicates the ` +
      `workflows counted: ${r.workflows.duplicateEventsCounted}; runs continued as new: ${r.workflows.runsContinued}.`,
  ].join('\n');
}

const duration = (ms: number): string =>
  ms >= 86_400_000 && ms % 86_400_000 === 0
    ? `${ms / 86_400_000} d`
    : ms >= 3_600_000 && ms % 3_600_000 === 0
      ? `${ms / 3_600_000} h`
      : `${Math.round(ms / 60_000)} min`;

function pollingMarkdown(p: PollingResult): string {
  const intervals = p.computed.intervals.map((i) => `${i.count} × ${duration(i.intervalMs)}`).join(' + ');
  const steps = p.schedule.byAge
    ? p.schedule.byAge
        .map(
          (s) =>
            `${duration(s.maxIntervalMs)} from ${s.fromAgeMs === 0 ? 'the start' : duration(s.fromAgeMs)}`,
        )
        .join(', ')
    : `${duration(p.schedule.maxIntervalMs)} throughout`;
  return [
    '## 5. Polling cost with every webhook dropped',
    '',
    `Default schedule: first poll after ${duration(p.schedule.initialIntervalMs)}, ×${p.schedule.multiplier}, ` +
      `at most ${steps} (session age). Over the default ${p.deadlineDays}-day deadline: polls = ${intervals} = ` +
      `${p.computed.polls}, plus 1 create = **${p.computed.total} Caliza calls per verification** (computed). ` +
      `Time-skipping run: ${p.measured.create} create + ${p.measured.read} reads = ${p.measured.total} ` +
      `(${p.agrees ? 'agrees' : '**disagrees**'}), ${p.measured.totalEvents} history events in ${p.measured.runs} runs ` +
      `(${p.eventsPerPoll} events per poll).`,
    '',
    'Detection delay of a lost webhook by session age (the longest wait between two polls in that band):',
    '',
    table(
      ['Session age', 'Longest delay', 'Polls'],
      p.computed.detectionDelayByAge.map((b) => [
        `${b.fromAgeMs === 0 ? '0' : duration(b.fromAgeMs)} – ${b.toAgeMs === null ? 'deadline' : duration(b.toAgeMs)}`,
        duration(b.worstDelayMs),
        b.polls,
      ]),
    ),
  ].join('\n');
}

/** The sections of this run that needed the Temporal server. */
function serverSections(report: BenchReport): string {
  const s = report.sections;
  const ran: [string, unknown][] = [
    ['e2e', s.endToEnd],
    ['start', s.startLatency],
    ['receiver', s.receiver],
    ['memory', s.memory],
  ];
  return ran
    .filter(([, result]) => result !== undefined)
    .map(([name]) => name)
    .join(', ');
}

export function toMarkdown(report: BenchReport): string {
  const m = report.machine;
  const parts: string[] = [
    `# Benchmark${report.label ? ` “${report.label}”` : ''}, ${report.startedAt}`,
    '',
    `Command: \`${report.command}\` (${fmt(report.durationSeconds)} s)  `,
    `Machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGiB} GiB, Node ${m.node}, ${m.os}; ` +
      `${m.temporalCli ?? 'Temporal CLI version unknown'}; 1-min load average ${m.loadAverage.atStart} at start, ` +
      `${m.loadAverage.atEnd ?? '—'} at end  `,
    ...(report.temporalServer
      ? [`Temporal server: ${report.temporalServer} (${serverSections(report)})  `]
      : []),
    `Worker tuning: ${
      report.workerTuning
        ? Object.entries(report.workerTuning)
            .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
            .join(', ')
        : '—'
    }`,
    '',
    '## Targets',
    '',
    table(
      ['Target', 'Goal', 'This run', 'Met'],
      report.targets.map((t) => [
        t.name,
        t.target,
        fmt(t.value, t.value !== null && t.value < 10 ? 2 : 0),
        t.met === null ? `not judged (${t.note ?? ''})` : t.met ? 'yes' : '**no**',
      ]),
    ),
  ];
  const s = report.sections;
  if (s.endToEnd) parts.push('', endToEndMarkdown(s.endToEnd));
  if (s.startLatency) parts.push('', startLatencyMarkdown(s.startLatency));
  if (s.history) parts.push('', historyMarkdown(s.history));
  if (s.memory) parts.push('', memoryMarkdown(s.memory));
  if (s.receiver) parts.push('', receiverMarkdown(s.receiver));
  if (s.polling) parts.push('', pollingMarkdown(s.polling));
  const errors = Object.entries(report.errors);
  if (errors.length > 0) {
    parts.push('', '## Errors', '', ...errors.map(([section, message]) => `- ${section}: ${message}`));
  }
  return `${parts.join('\n')}\n`;
}
