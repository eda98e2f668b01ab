import { parse as parseYaml } from 'yaml';

/** Every series name in a Prometheus text exposition (histograms show as their _bucket, _sum, _count). */
export function exportedMetricNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const line of exposition.split('\n')) {
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)[{ ]/.exec(line);
    if (match?.[1]) names.add(match[1]);
  }
  return names;
}

/** Every PromQL expression in a Grafana dashboard (`targets[].expr`) or Prometheus rules file (`expr`). */
export function promqlExpressions(source: string, format: 'json' | 'yaml'): string[] {
  const found: string[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (typeof node === 'object' && node !== null) {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'expr' && typeof value === 'string') found.push(value);
        else walk(value);
      }
    }
  };
  walk(format === 'json' ? JSON.parse(source) : parseYaml(source));
  return found;
}

/**
 * The metric names a PromQL expression selects: what is left once strings, label matchers, ranges,
 * grouping clauses and function calls are taken out. Every metric of this service has an underscore in
 * its name, which no PromQL keyword has.
 */
export function metricNamesIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\boffset\s+\S+/g, ' ');
  const names: string[] = [];
  for (const match of stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*(?=\s*(\()?)/g)) {
    const [name] = match;
    if (match[1] === '(' || !name.includes('_') || name.startsWith('$')) continue;
    names.push(name);
  }
  return names;
}

export function queriedMetricNames(source: string, format: 'json' | 'yaml'): Set<string> {
  return new Set(promqlExpressions(source, format).flatMap(metricNamesIn));
}
