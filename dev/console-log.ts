/**
 * Readable log lines for a person watching `npm start` in a terminal (`LOG_FORMAT=json` keeps pino's JSON).
 * Same logger as `src/logger.ts`, redaction included: this is only another way to print the same records.
 */
import { createLogger, type Logger } from '../src/logger';

const LEVEL_NAMES: Record<number, string> = {
  10: 'TRACE',
  20: 'DEBUG',
  30: 'INFO ',
  40: 'WARN ',
  50: 'ERROR',
  60: 'FATAL',
};
/** Fields every record has, or that are shown in their own column. */
const SHOWN_APART = new Set(['level', 'time', 'pid', 'hostname', 'name', 'msg', 'component']);

export type LogFormat = 'pretty' | 'json';

export function logFormatFromEnv(env: NodeJS.ProcessEnv = process.env): LogFormat {
  const value = env.LOG_FORMAT?.trim().toLowerCase();
  if (value === 'json' || value === 'pretty') return value;
  if (value) throw new Error('LOG_FORMAT must be pretty or json');
  return process.stdout.isTTY ? 'pretty' : 'json';
}

export function createConsoleLogger(
  name: string,
  format: LogFormat,
  level = process.env.LOG_LEVEL ?? 'info',
): Logger {
  if (format === 'json') return createLogger(name, level);
  return createLogger(name, level, { write: (line: string) => process.stdout.write(formatRecord(line)) });
}

/** One JSON record from pino as `HH:MM:SS LEVEL component message key=value …`. */
export function formatRecord(line: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return line;
  }
  const time =
    typeof record.time === 'number' ? new Date(record.time).toTimeString().slice(0, 8) : '--:--:--';
  const level = LEVEL_NAMES[Number(record.level)] ?? String(record.level);
  const component = String(record.component ?? record.name ?? '');
  const fields = Object.entries(record)
    .filter(([key]) => !SHOWN_APART.has(key))
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`);
  return `${time} ${level} ${component.padEnd(10)} ${String(record.msg ?? '')}${fields.length > 0 ? `  ${fields.join(' ')}` : ''}\n`;
}
