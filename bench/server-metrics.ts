/**
 * The server's own Prometheus metrics (the dev server's `--metrics-port`, or each cluster service's
 * endpoint), read before and after a batch: persistence and visibility calls with their time, and how
 * workflow tasks were matched to pollers. On the dev server both stores are SQLite, on the cluster
 * PostgreSQL, so this is where the server's limit shows.
 */

export interface ServerMetricsDelta {
  /** Persistence calls (history, matching), by operation: count and total seconds. */
  persistence: Record<string, { calls: number; seconds: number }>;
  /** Visibility store calls (SQLite), by operation. */
  visibility: Record<string, { calls: number; seconds: number }>;
  /** Workflow-task polls answered with a task, and of those, matched while a poller was waiting. */
  workflowTaskPolls: { success: number; syncMatched: number };
}

type Sample = Map<string, number>;

/** Adds one endpoint's series to `sample` (the cluster's services each report their own). */
function parseInto(sample: Sample, text: string): void {
  for (const line of text.split('\n')) {
    if (line.startsWith('#') || line.trim() === '') continue;
    const space = line.lastIndexOf(' ');
    const series = line.slice(0, space);
    const value = Number(line.slice(space + 1));
    if (Number.isFinite(value)) sample.set(series, (sample.get(series) ?? 0) + value);
  }
}

function label(series: string, name: string): string | undefined {
  const match = new RegExp(`${name}="([^"]*)"`).exec(series);
  return match?.[1];
}

export class ServerMetrics {
  constructor(private readonly urls: readonly string[]) {}

  /** Every endpoint's series summed; an endpoint that does not answer adds nothing. */
  async sample(): Promise<Sample> {
    const sample: Sample = new Map();
    const texts = await Promise.all(
      this.urls.map((url) =>
        fetch(url)
          .then((response) => response.text())
          .catch(() => ''),
      ),
    );
    for (const text of texts) parseInto(sample, text);
    return sample;
  }

  /** What happened between two samples; only the `default` namespace's work is counted. */
  static delta(before: Sample, after: Sample): ServerMetricsDelta {
    const persistence: ServerMetricsDelta['persistence'] = {};
    const visibility: ServerMetricsDelta['visibility'] = {};
    const polls = { success: 0, syncMatched: 0 };
    for (const [series, value] of after) {
      const diff = value - (before.get(series) ?? 0);
      if (diff === 0) continue;
      const name = series.slice(0, series.indexOf('{') === -1 ? series.length : series.indexOf('{'));
      const operation = label(series, 'operation') ?? '?';
      if (name === 'persistence_latency_count' || name === 'persistence_latency_sum') {
        if (label(series, 'namespace') !== 'default') continue;
        const key = `${label(series, 'service_name')}:${operation}`;
        const entry = (persistence[key] ??= { calls: 0, seconds: 0 });
        if (name.endsWith('_count')) entry.calls += diff;
        else entry.seconds += diff;
      } else if (
        name === 'visibility_persistence_latency_count' ||
        name === 'visibility_persistence_latency_sum'
      ) {
        const entry = (visibility[operation] ??= { calls: 0, seconds: 0 });
        if (name.endsWith('_count')) entry.calls += diff;
        else entry.seconds += diff;
      } else if (
        (name === 'poll_success' || name === 'poll_success_sync') &&
        label(series, 'task_type') === 'Workflow'
      ) {
        if (name === 'poll_success') polls.success += diff;
        else polls.syncMatched += diff;
      }
    }
    return { persistence, visibility, workflowTaskPolls: polls };
  }
}

/** Per-unit figures (e.g. per verification) for the report. */
export function perUnit(delta: ServerMetricsDelta, units: number): Record<string, unknown> {
  const sum = (entries: Record<string, { calls: number; seconds: number }>) =>
    Object.values(entries).reduce((a, e) => ({ calls: a.calls + e.calls, seconds: a.seconds + e.seconds }), {
      calls: 0,
      seconds: 0,
    });
  const p = sum(delta.persistence);
  const v = sum(delta.visibility);
  const per = (x: number) => Math.round((x / units) * 100) / 100;
  const ms = (x: number) => Math.round((x / units) * 1000 * 10) / 10;
  const top = (entries: Record<string, { calls: number; seconds: number }>) =>
    Object.fromEntries(
      Object.entries(entries)
        .sort((a, b) => b[1].seconds - a[1].seconds)
        .slice(0, 8)
        .map(([op, e]) => [op, { callsPerUnit: per(e.calls), msPerUnit: ms(e.seconds) }]),
    );
  return {
    persistenceCallsPerUnit: per(p.calls),
    persistenceMsPerUnit: ms(p.seconds),
    visibilityCallsPerUnit: per(v.calls),
    visibilityMsPerUnit: ms(v.seconds),
    syncMatchShare:
      delta.workflowTaskPolls.success > 0
        ? Math.round((delta.workflowTaskPolls.syncMatched / delta.workflowTaskPolls.success) * 1000) / 1000
        : null,
    topPersistence: top(delta.persistence),
    visibility: top(delta.visibility),
  };
}
