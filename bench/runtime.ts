/** One SDK runtime per process, with its logs (and the stack's) in the run's log file, never on stdout. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { SearchAttributeType } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type Worker } from '@temporalio/worker';
import pino, { type Logger } from 'pino';
import { timeSkippingServerPath } from '../dev/tool-paths';
import { SEARCH_ATTRIBUTE_KEYS } from '../src/search-attributes';
import { installRuntime } from '../src/service/runtime';

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** A pino logger writing to `file` (asynchronously, as production stdout logging would). */
export function fileLogger(file: string, level: LogLevel): Logger {
  mkdirSync(path.dirname(file), { recursive: true });
  return pino({ name: 'bench', level }, pino.destination({ dest: file, sync: false, mkdir: true }));
}

let installed = false;
export function installBenchRuntime(logger: Logger): void {
  if (installed) return;
  installRuntime(logger);
  installed = true;
}

const quietBundlerLogger = {
  log: () => undefined,
  trace: () => undefined,
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: (message: string) => process.stderr.write(`${message}\n`),
};

/** Bundles workflow code into `outFile` (unless `prebuilt` names an existing bundle) and returns its path. */
export async function workflowBundle(
  workflowsPath: string,
  outFile: string,
  prebuilt?: string,
): Promise<string> {
  if (prebuilt) return prebuilt;
  const { code } = await bundleWorkflowCode({ workflowsPath, logger: quietBundlerLogger });
  mkdirSync(path.dirname(outFile), { recursive: true });
  writeFileSync(outFile, code);
  return outFile;
}

/** The Java time-skipping server with this project's search attributes (as test/support/temporal.ts does). */
export async function timeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({
    server: { executable: { type: 'existing-path', path: timeSkippingServerPath() } },
  });
  const indexedType: Record<SearchAttributeType, number> = {
    [SearchAttributeType.TEXT]: 1,
    [SearchAttributeType.KEYWORD]: 2,
    [SearchAttributeType.INT]: 3,
    [SearchAttributeType.DOUBLE]: 4,
    [SearchAttributeType.BOOL]: 5,
    [SearchAttributeType.DATETIME]: 6,
    [SearchAttributeType.KEYWORD_LIST]: 7,
  };
  await env.connection.operatorService.addSearchAttributes({
    namespace: env.namespace ?? 'default',
    searchAttributes: Object.fromEntries(
      SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, indexedType[key.type]]),
    ),
  });
  return env;
}

/** The settings a worker actually runs with, for the report. */
export function effectiveTuning(worker: Worker): Record<string, unknown> {
  const options = worker.options;
  const slots = (supplier: { type: string; numSlots?: number }): number | string =>
    supplier.type === 'fixed-size' ? (supplier.numSlots ?? 'fixed') : supplier.type;
  return {
    maxCachedWorkflows: options.maxCachedWorkflows,
    workflowTaskSlots: slots(options.tuner.workflowTaskSlotSupplier),
    localActivitySlots: slots(options.tuner.localActivityTaskSlotSupplier),
    workflowTaskPollerBehavior: options.workflowTaskPollerBehavior,
    nonStickyToStickyPollRatio: options.nonStickyToStickyPollRatio,
    workflowThreadPoolSize: options.workflowThreadPoolSize,
    reuseV8Context: options.reuseV8Context,
  };
}
