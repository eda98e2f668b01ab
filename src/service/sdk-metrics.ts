/**
 * The SDK's metrics (Core's `temporal_*` ones, and what workflow and activity code records through the SDK's
 * metric meter) in Prometheus text, for the admin server's `/metrics`. The SDK's own Prometheus exporter
 * would need a port of its own, so a process would be scraped twice; instead the runtime buffers every
 * metric update and this module folds the updates into series and renders them next to the prom-client
 * registry. Names, labels and units are the SDK exporter's (durations in milliseconds, no `_total` suffix),
 * so queries written for it work unchanged.
 */
import type { MetricTags } from '@temporalio/common';
import { type BufferedMetricUpdate, MetricsBuffer } from '@temporalio/worker';

/**
 * Updates held between two drains. A busy worker records a few hundred a second; draining every second
 * (and on every scrape) keeps far below this, and a full buffer drops updates with an error logged by Core.
 */
const BUFFER_SIZE = 200_000;
const DRAIN_INTERVAL_MS = 1_000;

/** Buckets by unit. Core's latencies are in milliseconds; the service's own histograms say their unit. */
const BUCKETS: Record<string, readonly number[]> = {
  ms: [1, 5, 10, 25, 50, 100, 250, 500, 1_000, 2_500, 5_000, 10_000, 30_000, 60_000, 300_000],
  // Time to a decision: seconds (a webhook) to weeks (a deadline).
  s: [1, 5, 15, 60, 300, 900, 3_600, 4 * 3_600, 86_400, 3 * 86_400, 7 * 86_400, 30 * 86_400],
};
const DEFAULT_BUCKETS = [1, 2, 5, 10, 25, 50, 100, 250, 500, 1_000];

interface HistogramState {
  buckets: number[];
  sum: number;
  count: number;
}

interface Family {
  type: 'counter' | 'gauge' | 'histogram';
  help: string;
  bounds: readonly number[];
  /** By the rendered label set. */
  series: Map<string, number | HistogramState>;
}

export class SdkMetrics {
  readonly buffer = new MetricsBuffer({ maxBufferSize: BUFFER_SIZE });
  private readonly families = new Map<string, Family>();
  private timer: NodeJS.Timeout | null = null;

  /** Drains the buffer every second from now on, so that updates between scrapes are never dropped. */
  start(): void {
    this.timer ??= setInterval(() => this.drain(), DRAIN_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  /** Folds the pending updates into the series. */
  drain(): void {
    for (const update of this.buffer.retrieveUpdates()) this.apply(update);
  }

  /** Prometheus text format 0.0.4 of every series seen so far, after a drain. */
  render(): string {
    this.drain();
    const lines: string[] = [];
    for (const [name, family] of [...this.families].sort(([a], [b]) => a.localeCompare(b))) {
      lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`);
      for (const [labels, value] of family.series) {
        if (typeof value === 'number') {
          lines.push(`${name}${braced(labels)} ${formatNumber(value)}`);
          continue;
        }
        let cumulative = 0;
        family.bounds.forEach((bound, index) => {
          cumulative += value.buckets[index] ?? 0;
          lines.push(`${name}_bucket${braced(joined(labels, `le="${formatNumber(bound)}"`))} ${cumulative}`);
        });
        lines.push(`${name}_bucket${braced(joined(labels, 'le="+Inf"'))} ${value.count}`);
        lines.push(`${name}_sum${braced(labels)} ${formatNumber(value.sum)}`);
        lines.push(`${name}_count${braced(labels)} ${value.count}`);
      }
    }
    return lines.length === 0 ? '' : `${lines.join('\n')}\n`;
  }

  private apply({ metric, value, attributes }: BufferedMetricUpdate): void {
    const name = sanitizeName(metric.name);
    let family = this.families.get(name);
    if (!family) {
      const type =
        metric.kind === 'histogram' ? 'histogram' : metric.kind === 'counter' ? 'counter' : 'gauge';
      family = {
        type,
        help: metric.description || metric.name,
        bounds: BUCKETS[metric.unit ?? ''] ?? DEFAULT_BUCKETS,
        series: new Map(),
      };
      this.families.set(name, family);
    }
    const labels = renderLabels(attributes);
    const current = family.series.get(labels);
    switch (metric.kind) {
      case 'counter':
      case 'up-down-counter':
        // Both arrive as deltas.
        family.series.set(labels, (typeof current === 'number' ? current : 0) + value);
        return;
      case 'gauge':
        family.series.set(labels, value);
        return;
      case 'histogram': {
        const state =
          typeof current === 'object'
            ? current
            : { buckets: new Array<number>(family.bounds.length).fill(0), sum: 0, count: 0 };
        const index = family.bounds.findIndex((bound) => value <= bound);
        if (index >= 0) state.buckets[index] = (state.buckets[index] ?? 0) + 1;
        state.sum += value;
        state.count += 1;
        family.series.set(labels, state);
        return;
      }
    }
  }
}

function renderLabels(attributes: MetricTags): string {
  return Object.keys(attributes)
    .sort()
    .map((key) => `${sanitizeName(key)}="${escapeLabel(String(attributes[key]))}"`)
    .join(',');
}

function sanitizeName(name: string): string {
  const cleaned = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(cleaned) ? `_${cleaned}` : cleaned;
}

const joined = (labels: string, extra: string): string => (labels ? `${labels},${extra}` : extra);
const braced = (labels: string): string => (labels ? `{${labels}}` : '');
const escapeLabel = (value: string): string =>
  value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
const escapeHelp = (value: string): string => value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatNumber(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}
