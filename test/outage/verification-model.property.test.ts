import fc from 'fast-check';
import { workflowIdFor } from '../../src/contracts';
import { type CalizaMode, FAULT_KINDS } from '../support/outage-caliza';
import {
  CalizaModeCommand,
  CancelCommand,
  ExtendDeadlineCommand,
  type ModelReal,
  type ModelSettings,
  SessionCommand,
  StartCommand,
  TimeJumpCommand,
  WebhookCommand,
  newModel,
  settle,
} from '../support/outage-model';
import { OutageRig, recordOutageFigures } from '../support/outage-rig';

/**
 * Model-based: fast-check drives the real workflow (production worker in its own process, the
 * time-skipping server, Caliza as a fake over HTTP) through short random sequences of what happens to a
 * verification: start() calls with a timeout, webhook events (new, duplicate, conflicting, early), Caliza
 * healthy or failing in each way, its session decided or PROCESSING, time jumps of minutes to days, a
 * later deadline, a cancel. A small model says what Caliza's session really is; after every command the
 * invariants of `checkInvariants` hold, and at the end the verification is closed by its deadline with
 * the outcome the session has.
 *
 * `OUTAGE_MODEL_SEED`, `OUTAGE_MODEL_RUNS` and `OUTAGE_MODEL_PATH` replay a reported failure;
 * `OUTAGE_MODEL_SHRINK=1` lets fast-check shrink it (each step costs real seconds, so it is off by default).
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

const SETTINGS: ModelSettings = {
  // Few polls per simulated day, so that days of a failing Caliza cost seconds, not minutes.
  polling: { initialIntervalMs: 10 * MINUTE, multiplier: 2, maxIntervalMs: 2 * HOUR },
  deadlineMs: DAY,
  maxHistoryEventsPerRun: 80,
  realBudgetPerHourMs: 45_000,
  startGraceMs: 2_000,
};

const SEED = Number(process.env.OUTAGE_MODEL_SEED ?? 20_261_203);
/**
 * A history costs from a second to half a minute of real time (every failing Caliza call cycle takes
 * seconds): the 8 that `npm test` runs took 81 s, 12 took about 3 minutes. `OUTAGE_MODEL_RUNS` (and
 * another `OUTAGE_MODEL_SEED`) explore further.
 */
const RUNS = Number(process.env.OUTAGE_MODEL_RUNS ?? 8);
const MAX_COMMANDS = 8;

/** Healthy half of the time: a failing Caliza costs real seconds per call cycle. */
const modeArb = fc.oneof(
  { weight: 5, arbitrary: fc.constant<CalizaMode>('ok') },
  { weight: 5, arbitrary: fc.constantFrom<CalizaMode>(...FAULT_KINDS) },
);

const commands = [
  fc.constantFrom(2_000, 4_000).map((timeoutMs) => new StartCommand(timeoutMs)),
  fc
    .tuple(
      fc.constantFrom('new', 'duplicate', 'conflicting' as const),
      fc.constantFrom('BENEFICIARY_APPROVED', 'BENEFICIARY_FAILED' as const),
    )
    .map(([kind, operation]) => new WebhookCommand(kind, operation)),
  modeArb.map((mode) => new CalizaModeCommand(mode)),
  fc.constantFrom('SUCCEEDED', 'FAILED', 'PROCESSING' as const).map((truth) => new SessionCommand(truth)),
  fc
    .oneof(
      fc.integer({ min: 1, max: 59 }).map((m) => m * MINUTE),
      fc.integer({ min: 1, max: 23 }).map((h) => h * HOUR),
      fc.integer({ min: 1, max: 3 }).map((d) => d * DAY),
    )
    .map((ms) => new TimeJumpCommand(ms)),
  fc.integer({ min: 1, max: 12 }).map((h) => new ExtendDeadlineCommand(h * HOUR)),
  fc.constant(new CancelCommand()),
];

describe('verifyBeneficiary against a model of Caliza', () => {
  let rig: OutageRig;

  beforeAll(async () => {
    rig = await OutageRig.start();
  }, 120_000);

  afterAll(async () => {
    await rig?.close();
  });

  it(
    `keeps its invariants over ${RUNS} random histories`,
    async () => {
      const began = Date.now();
      let runIndex = 0;
      const outcomes: Record<string, number> = {};
      const property = fc.asyncProperty(
        modeArb,
        fc.commands(commands, { maxCommands: MAX_COMMANDS }),
        async (initialMode, cmds) => {
          runIndex += 1;
          const beneficiaryId = `model-${SEED}-${runIndex}`;
          rig.caliza.add(beneficiaryId, { mode: initialMode, session: 'PENDING' });
          const real: ModelReal = { rig, settings: SETTINGS };
          const model = newModel(beneficiaryId, initialMode);
          try {
            // Every history begins with a start; the commands may start it again.
            await new StartCommand(4_000).run(model, real);
            await fc.asyncModelRun(() => ({ model, real }), cmds);
            await settle(model, real);
            const status = await rig.status(beneficiaryId);
            outcomes[status] = (outcomes[status] ?? 0) + 1;
          } finally {
            // A broken run must not hold up the next one (time skipping is shared).
            if ((await rig.status(beneficiaryId).catch(() => 'NOT_FOUND')) === 'RUNNING') {
              await rig.client.workflow
                .getHandle(workflowIdFor(beneficiaryId))
                .terminate('model test cleanup')
                .catch(() => undefined);
            }
          }
        },
      );
      // Printed whatever the outcome, so any run can be repeated or extended.
      process.stdout.write(`verification model: OUTAGE_MODEL_SEED=${SEED} OUTAGE_MODEL_RUNS=${RUNS}\n`);
      const details = await fc.check(property, {
        seed: SEED,
        numRuns: RUNS,
        endOnFailure: process.env.OUTAGE_MODEL_SHRINK !== '1',
        ...(process.env.OUTAGE_MODEL_PATH && { path: process.env.OUTAGE_MODEL_PATH }),
      });
      recordOutageFigures('verificationModel', {
        seed: SEED,
        runs: details.numRuns,
        failed: details.failed,
        closedAs: outcomes,
        realTimeMs: Date.now() - began,
      });
      if (details.failed) {
        // Straight to stdout: the seed and path replay exactly this history.
        process.stdout.write(
          `verification model failed: OUTAGE_MODEL_SEED=${details.seed} OUTAGE_MODEL_PATH=${details.counterexamplePath}\n`,
        );
      }
      const failure = details.failed
        ? `${fc.defaultReportMessage(details)}\n${String(details.errorInstance)}`
        : 'no failure';
      expect(failure).toBe('no failure');
    },
    15 * 60_000,
  );
});
