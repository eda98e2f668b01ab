import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';

/** The cluster run (`TEST_TEMPORAL_TARGET=cluster`) keeps its figures apart from the dev server's. */
export const CHAOS_REPORT_PATH = path.join(
  PROJECT_ROOT,
  'test-results',
  process.env.TEST_TEMPORAL_TARGET === 'cluster' ? 'cluster-chaos-report.json' : 'chaos-report.json',
);

/** What one chaos scenario measured; `docs/reliability.md` quotes these. */
export interface ScenarioFigures {
  scenario: string;
  verifications: number;
  /** Reached the outcome chosen for the beneficiary. */
  outcomesCorrect: number;
  decidedBy: Record<string, number>;
  sessionsPerBeneficiary: { min: number; max: number; total: number };
  /** Runs per workflow id (a second run would mean a late event started a verification again). */
  runsPerBeneficiary: { max: number };
  /** Non-zero fault counters of the sandbox double. */
  faultsInjected: Record<string, number>;
  webhooks: Record<string, number>;
  receiver: Record<string, number>;
  /** Scenario-specific figures: kills, restarts, outage length… */
  extra: Record<string, number | string>;
  durationMs: number;
  finishedAt: string;
}

interface Report {
  updatedAt: string;
  scenarios: Record<string, ScenarioFigures>;
}

function readReport(): Report {
  if (!existsSync(CHAOS_REPORT_PATH)) return { updatedAt: '', scenarios: {} };
  try {
    const parsed = JSON.parse(readFileSync(CHAOS_REPORT_PATH, 'utf8')) as Partial<Report>;
    return { updatedAt: parsed.updatedAt ?? '', scenarios: parsed.scenarios ?? {} };
  } catch {
    // A report from an interrupted run: start again.
    return { updatedAt: '', scenarios: {} };
  }
}

/** One line per scenario, e.g. for a CI log. */
export function summaryLine(f: ScenarioFigures): string {
  const by = Object.entries(f.decidedBy)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  const faults =
    Object.entries(f.faultsInjected)
      .map(([k, v]) => `${k} ${v}`)
      .join(', ') || 'none';
  const extra = Object.entries(f.extra)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return (
    `chaos ${f.scenario}: ${f.outcomesCorrect}/${f.verifications} correct (${by}); ` +
    `sessions/beneficiary max ${f.sessionsPerBeneficiary.max}; runs/beneficiary max ${f.runsPerBeneficiary.max}; ` +
    `faults: ${faults}${extra ? `; ${extra}` : ''}; ${(f.durationMs / 1000).toFixed(1)} s`
  );
}

/** Merges the scenario into `test-results/chaos-report.json` and prints its summary line. */
export function recordScenario(figures: ScenarioFigures): void {
  const report = readReport();
  report.scenarios[figures.scenario] = figures;
  report.updatedAt = new Date().toISOString();
  mkdirSync(path.dirname(CHAOS_REPORT_PATH), { recursive: true });
  writeFileSync(CHAOS_REPORT_PATH, `${JSON.stringify(report, null, 2)}\n`);
  // Straight to stdout: Jest's console wraps every line in a stack trace.
  process.stdout.write(`${summaryLine(figures)}\n`);
}
