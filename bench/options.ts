/** Command-line flags of `npm run bench`. */
import { parseArgs } from 'node:util';
import type { LogLevel } from './runtime';
import type { LabServer, WorkerTuning } from './stack';

export const SECTIONS = ['e2e', 'start', 'history', 'memory', 'receiver', 'polling'] as const;
export type SectionName = (typeof SECTIONS)[number];

export interface BenchOptions {
  n: number;
  quick: boolean;
  sections: SectionName[];
  concurrency: number;
  warmup: number;
  /** Pending verifications the memory section holds in one worker. */
  pending: number;
  /** Then on to this many in the same worker (0: not measured). */
  pendingLarge: number;
  /** HEAP_LIMIT_MB of the memory section's worker process (0: Node's default). */
  workerHeapMb: number | undefined;
  receiverSeconds: number;
  receiverConnections: number;
  /** Duration of each open-loop run of the start section. */
  startSeconds: number;
  /** Starts per second of the start section; half the e2e baseline's capacity when absent. */
  startRate: number | undefined;
  outDir: string;
  logLevel: LogLevel;
  workflowBundle: string | undefined;
  seed: number;
  tuning: WorkerTuning;
  /** Where the e2e, start, receiver and memory sections run. */
  server: LabServer;
  /** A label for this run in the report (e.g. "before", "after"). */
  label: string | undefined;
  quiet: boolean;
}

export const USAGE = `Usage: npm run bench -- [flags]

  --n <count>              verifications in the end-to-end section (default 1000, at most 10000)
  --quick                  small sizes for a smoke run (n=20, 100 pending, 1 s receiver runs)
  --sections <list>        comma-separated subset of ${SECTIONS.join(',')} (default: all)
  --skip <list>            sections to leave out
  --concurrency <count>    end-to-end starts in flight at once (default min(n, 1000))
  --pending <count>        pending verifications held by the worker in the memory section (default 10000)
  --pending-large <count>  then on to this many in the same worker (default 0: skip; e.g. 100000)
  --worker-heap-mb <MB>    HEAP_LIMIT_MB of the memory section's worker (default: the service's; 0: Node's)
  --receiver-seconds <s>   duration of each receiver load run (default 10)
  --receiver-connections <count>  autocannon connections (default 50)
  --start-seconds <s>      duration of each open-loop run of the start section (default 10)
  --start-rate <per s>     start() calls per second there (default: half the e2e baseline's capacity)
  --server <dev|cluster>   run the sections that need Temporal on the dev server (default, started here)
                           or on the running self-hosted cluster (npm run cluster -- up)
  --seed <int>             seed of the double's decisions and the baseline's delays (default 1)
  --label <text>           a name for this run in the report
  --out <dir>              where reports go (default bench/results)
  --log-level <level>      level of the stack's log file (default info, as in production)
  --workflow-bundle <file> use a prebuilt workflow bundle instead of bundling src/workflows
  --quiet                  no progress lines
  --render <report.json>   only write that report's Markdown again, with this version's report and targets
  Worker tuning overrides (default: createVerificationWorker's defaults):
  --max-cached <count>     maxCachedWorkflows
  --wft-slots <count>      maxConcurrentWorkflowTaskExecutions
  --wft-pollers <count>    workflowTaskPollerBehavior simple maximum
  --la-slots <count>       maxConcurrentLocalActivityExecutions
  --sticky-ratio <r>       nonStickyToStickyPollRatio (0 < r <= 1)
`;

function integer(name: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < min || parsed > max) {
    throw new Error(`--${name} must be an integer from ${min} to ${max}`);
  }
  return parsed;
}

function sectionList(flag: string, value: string | undefined): SectionName[] | undefined {
  if (value === undefined) return undefined;
  const names = value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const name of names) {
    if (!(SECTIONS as readonly string[]).includes(name)) {
      throw new Error(`--${flag}: unknown section "${name}" (known: ${SECTIONS.join(', ')})`);
    }
  }
  return names as SectionName[];
}

export function parseBenchArgs(argv: string[]): BenchOptions | 'help' {
  const { values } = parseArgs({
    args: argv,
    strict: true,
    options: {
      n: { type: 'string' },
      quick: { type: 'boolean', default: false },
      sections: { type: 'string' },
      skip: { type: 'string' },
      concurrency: { type: 'string' },
      warmup: { type: 'string' },
      pending: { type: 'string' },
      'pending-large': { type: 'string' },
      'worker-heap-mb': { type: 'string' },
      'receiver-seconds': { type: 'string' },
      'receiver-connections': { type: 'string' },
      'start-seconds': { type: 'string' },
      'start-rate': { type: 'string' },
      seed: { type: 'string' },
      server: { type: 'string' },
      label: { type: 'string' },
      out: { type: 'string' },
      'log-level': { type: 'string' },
      'workflow-bundle': { type: 'string' },
      quiet: { type: 'boolean', default: false },
      'max-cached': { type: 'string' },
      'wft-slots': { type: 'string' },
      'wft-pollers': { type: 'string' },
      'la-slots': { type: 'string' },
      'sticky-ratio': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) return 'help';
  const quick = values.quick === true;
  const n = integer('n', values.n, 1, 10_000) ?? (quick ? 20 : 1_000);
  const only = sectionList('sections', values.sections) ?? [...SECTIONS];
  const skip = new Set(sectionList('skip', values.skip) ?? []);
  const sections = SECTIONS.filter((s) => only.includes(s) && !skip.has(s));
  if (sections.length === 0) throw new Error('no section selected');
  const logLevel = (values['log-level'] ?? 'info') as LogLevel;
  if (!['trace', 'debug', 'info', 'warn', 'error', 'silent'].includes(logLevel)) {
    throw new Error('--log-level must be one of trace, debug, info, warn, error, silent');
  }
  const server = values.server ?? 'dev';
  if (server !== 'dev' && server !== 'cluster') throw new Error('--server must be dev or cluster');
  const tuning: WorkerTuning = {};
  const maxCached = integer('max-cached', values['max-cached'], 0, 100_000);
  const wftSlots = integer('wft-slots', values['wft-slots'], 2, 10_000);
  const wftPollers = integer('wft-pollers', values['wft-pollers'], 2, 1_000);
  const laSlots = integer('la-slots', values['la-slots'], 1, 10_000);
  if (maxCached !== undefined) tuning.maxCachedWorkflows = maxCached;
  if (wftSlots !== undefined) tuning.maxConcurrentWorkflowTaskExecutions = wftSlots;
  if (wftPollers !== undefined)
    tuning.workflowTaskPollerBehavior = { type: 'simple-maximum', maximum: wftPollers };
  if (laSlots !== undefined) tuning.maxConcurrentLocalActivityExecutions = laSlots;
  if (values['sticky-ratio'] !== undefined) {
    const ratio = Number(values['sticky-ratio']);
    if (!(ratio > 0 && ratio <= 1)) throw new Error('--sticky-ratio must be in (0, 1]');
    tuning.nonStickyToStickyPollRatio = ratio;
  }
  return {
    n,
    quick,
    sections,
    concurrency: integer('concurrency', values.concurrency, 1, 10_000) ?? Math.min(n, 1_000),
    warmup: integer('warmup', values.warmup, 0, 1_000) ?? (quick ? 2 : 20),
    pending: integer('pending', values.pending, 10, 20_000) ?? (quick ? 100 : 10_000),
    pendingLarge: integer('pending-large', values['pending-large'], 0, 200_000) ?? 0,
    workerHeapMb: integer('worker-heap-mb', values['worker-heap-mb'], 0, 16_384),
    receiverSeconds: integer('receiver-seconds', values['receiver-seconds'], 1, 120) ?? (quick ? 1 : 10),
    receiverConnections:
      integer('receiver-connections', values['receiver-connections'], 1, 1_000) ?? (quick ? 10 : 50),
    startSeconds: integer('start-seconds', values['start-seconds'], 1, 120) ?? (quick ? 2 : 10),
    startRate: integer('start-rate', values['start-rate'], 1, 1_000),
    outDir: values.out ?? 'bench/results',
    logLevel,
    workflowBundle: values['workflow-bundle'],
    seed: integer('seed', values.seed, 0, 2 ** 31 - 1) ?? 1,
    tuning,
    server,
    label: values.label,
    quiet: values.quiet === true,
  };
}
