/** What the memory section and its worker process (bench/memory-worker.ts) tell each other. */
import type { LogLevel } from './runtime';
import type { WorkerTuning } from './stack';

export interface MemoryWorkerConfig {
  address: string;
  taskQueue: string;
  workflowBundlePath: string;
  tuning: WorkerTuning;
  logFile: string;
  logLevel: LogLevel;
  sampleMs: number;
}

/** Marks the lines of stdout that carry a message for the parent. */
export const STATUS_PREFIX = 'bench-memory-worker ';

export interface MemoryWorkerReady {
  type: 'ready';
  node: string;
  heapLimitMb: number | null;
  heapLimitWhy: string;
  /** V8's heap size limit of the main thread, MB. */
  v8HeapSizeLimitMb: number;
}

export interface MemoryWorkerStatus {
  type: 'status';
  rssBytes: number;
  /** Peak RSS of the process so far (getrusage). */
  maxRssBytes: number;
  heapUsedBytes: number;
  cachedWorkflows: number;
  inFlightActivations: number;
  maxCachedWorkflows: number;
}
