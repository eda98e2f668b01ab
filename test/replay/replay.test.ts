import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { historyFromJSON, type History } from '@temporalio/common/lib/proto-utils';
import { temporal } from '@temporalio/proto';
import { DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { DeterminismViolationError } from '@temporalio/workflow';
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { Tracing, workerTracingOptions } from '../../src/service/tracing';
import {
  RECORD_CALLS_BEFORE_CONTINUE_AS_NEW_PATCH,
  FAILURE_DETAILS_PATCH,
  NOT_VERIFIED_HERE_PATCH,
  WAKE_ON_PLAN_CHANGE_PATCH,
} from '../../src/workflows/verify-beneficiary';
import { workflowBundle } from '../support/temporal';
import { HISTORIES_DIR, RECORDED_PATHS, parseHistoryFileName } from './recorded-paths';

const isJson = (file: string): boolean => file.endsWith('.json');
/** The current recordings, one set per path. */
const files = readdirSync(HISTORIES_DIR).filter(isJson).sort();
/** Recordings kept from before a `patched()` change (`--keep-as`): old runs must keep replaying too. */
const keptFiles = readdirSync(HISTORIES_DIR, { withFileTypes: true })
  .filter((entry) => entry.isDirectory())
  .flatMap((dir) =>
    readdirSync(path.join(HISTORIES_DIR, dir.name))
      .filter(isJson)
      .map((file) => `${dir.name}/${file}`),
  )
  .sort();

function load(file: string): History {
  return historyFromJSON(JSON.parse(readFileSync(path.join(HISTORIES_DIR, file), 'utf8')));
}

const closingEventName = (history: History): string =>
  temporal.api.enums.v1.EventType[history.events?.at(-1)?.eventType ?? 0] ?? 'none';

describe('recorded workflow histories', () => {
  beforeAll(() => {
    // The negative test makes the SDK warn about the nondeterminism it is expected to find.
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' }, console: {} } },
    });
  });

  it('cover every expected path, each ending the way its name says', () => {
    const byPath = new Map<string, { file: string; run: number | null }[]>();
    for (const file of files) {
      const parsed = parseHistoryFileName(file);
      if (!parsed) throw new Error(`${file} is not named <path>.json or <path>.run-<n>.json`);
      byPath.set(parsed.pathName, [...(byPath.get(parsed.pathName) ?? []), { file, run: parsed.run }]);
    }
    expect([...byPath.keys()].sort()).toEqual(RECORDED_PATHS.map((p) => p.name).sort());

    for (const expected of RECORDED_PATHS) {
      const recorded = (byPath.get(expected.name) ?? []).sort((a, b) => (a.run ?? 0) - (b.run ?? 0));
      if (expected.continuesAsNew) {
        expect(recorded.map((r) => r.run)).toEqual(recorded.map((_, index) => index + 1));
        expect(recorded.length).toBeGreaterThanOrEqual(2);
      } else {
        expect(recorded).toEqual([{ file: `${expected.name}.json`, run: null }]);
      }
      recorded.forEach(({ file }, index) => {
        const last = index === recorded.length - 1;
        expect([file, closingEventName(load(file))]).toEqual([
          file,
          last ? expected.closedBy : 'EVENT_TYPE_WORKFLOW_EXECUTION_CONTINUED_AS_NEW',
        ]);
      });
    }
  });

  it('all replay against the current workflow code', async () => {
    const histories = [...files, ...keptFiles].map((file) => ({ workflowId: file, history: load(file) }));
    const failures: string[] = [];
    let replayed = 0;
    for await (const result of Worker.runReplayHistories({ workflowBundle: workflowBundle() }, histories)) {
      replayed += 1;
      if (result.error) failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length + keptFiles.length);
  });

  it('all replay with tracing on: the workflow interceptors in the bundle, the span sink registered', async () => {
    const histories = [...files, ...keptFiles].map((file) => ({ workflowId: file, history: load(file) }));
    const tracing = Tracing.start({
      serviceName: 'replay',
      spanProcessor: new SimpleSpanProcessor(new InMemorySpanExporter()),
    });
    const failures: string[] = [];
    let replayed = 0;
    try {
      const options = { workflowBundle: workflowBundle(), sinks: workerTracingOptions(tracing).sinks };
      for await (const result of Worker.runReplayHistories(options, histories)) {
        replayed += 1;
        if (result.error)
          failures.push(`${result.workflowId}: ${result.error.name}: ${result.error.message}`);
      }
    } finally {
      await tracing.shutdown();
    }
    expect(failures).toEqual([]);
    expect(replayed).toBe(files.length + keptFiles.length);
  });

  const patchesIn = (file: string): string[] =>
    (load(file).events ?? []).flatMap((event) => {
      const marker = event.markerRecordedEventAttributes;
      if (marker?.markerName !== 'core_patch') return [];
      const data = marker.details?.['patch-data']?.payloads?.[0]?.data;
      return data ? [(JSON.parse(Buffer.from(data).toString('utf8')) as { id: string }).id] : [];
    });

  it('record the failure-details patch on every FAILED session, and keep a rejection recorded without it', () => {
    for (const file of ['failed-by-webhook.json', 'failed-by-poll.json', 'failure-details-unreadable.json']) {
      expect([file, patchesIn(file)]).toEqual([file, [FAILURE_DETAILS_PATCH]]);
    }
    expect(patchesIn('before-failure-details/failed-by-webhook.json')).toEqual([]);
    expect(keptFiles).toContain('before-failure-details/failed-by-webhook.json');
    // An expiry reads nothing more.
    expect(patchesIn('expired.json')).toEqual([]);
  });

  it('record the not-verified-here patch only where a recording run finds no session', () => {
    expect(patchesIn('record-outcome-not-verified-here.json')).toEqual([NOT_VERIFIED_HERE_PATCH]);
    expect(patchesIn('record-outcome.json')).toEqual([]);
  });

  it('record the wake-on-plan-change patch only on the paths where the old wait and the new one differ', () => {
    // A back-off with an event waiting (the old wait spun there), and a start held across continue-as-new.
    expect(patchesIn('outage-with-event-waiting.json')).toEqual([WAKE_ON_PLAN_CHANGE_PATCH]);
    expect(patchesIn('start-across-continue-as-new.run-1.json')).toEqual([
      WAKE_ON_PLAN_CHANGE_PATCH,
      RECORD_CALLS_BEFORE_CONTINUE_AS_NEW_PATCH,
    ]);
    // The everyday paths cost no marker.
    for (const file of ['approved-by-webhook.json', 'approved-by-poll.json', 'expired.json']) {
      expect(patchesIn(file)).toEqual([]);
    }
  });

  it('record the record-calls-before-continue-as-new patch only where a continue-as-new follows a Caliza call', () => {
    // Every run that continued as new right after a call (a failed create, a poll), never its last run.
    for (const file of [
      'continue-as-new.run-1.json',
      'continue-as-new.run-2.json',
      'start-across-continue-as-new.run-1.json',
      'start-across-continue-as-new.run-2.json',
      'start-across-continue-as-new.run-3.json',
    ]) {
      expect([
        file,
        patchesIn(file).filter((id) => id === RECORD_CALLS_BEFORE_CONTINUE_AS_NEW_PATCH),
      ]).toEqual([file, [RECORD_CALLS_BEFORE_CONTINUE_AS_NEW_PATCH]]);
    }
    for (const file of files.filter((f) => !/^(start-across-)?continue-as-new\.run-[123]\.json$/.test(f))) {
      expect([file, patchesIn(file).includes(RECORD_CALLS_BEFORE_CONTINUE_AS_NEW_PATCH)]).toEqual([
        file,
        false,
      ]);
    }
    // Recorded before the patch: no marker, and they still replay (above).
    expect(
      patchesIn('before-record-calls-before-continue-as-new/start-across-continue-as-new.run-1.json'),
    ).toEqual([WAKE_ON_PLAN_CHANGE_PATCH]);
  });

  it('would catch a change to the command sequence', async () => {
    await expect(
      Worker.runReplayHistory(
        { workflowsPath: require.resolve('./fixtures/timer-first-workflow') },
        load('approved-by-webhook.json'),
      ),
    ).rejects.toThrow(DeterminismViolationError);
  });

  it('accepts the same change behind patched()', async () => {
    await Worker.runReplayHistory(
      { workflowsPath: require.resolve('./fixtures/patched-timer-first-workflow') },
      load('approved-by-webhook.json'),
    );
  });
});
