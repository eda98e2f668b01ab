import type { LogLevel, LogMetadata, Logger } from '@temporalio/common';

/** Errors serialize to `{}` by default; expand them so captured lines show what a real sink would print. */
export function expandErrors(_key: string, value: unknown): unknown {
  if (!(value instanceof Error)) return value;
  const expanded: Record<string, unknown> = { name: value.name, message: value.message, stack: value.stack };
  for (const key of Object.getOwnPropertyNames(value))
    expanded[key] = (value as unknown as Record<string, unknown>)[key];
  return expanded;
}

/** A Temporal `Logger` that keeps every entry as one JSON line. */
export class MemoryLogger implements Logger {
  readonly lines: string[] = [];

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    this.lines.push(JSON.stringify({ level, message, meta }, expandErrors));
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }

  entries(): { level: LogLevel; message: string; meta?: Record<string, unknown> }[] {
    return this.lines.map(
      (line) => JSON.parse(line) as { level: LogLevel; message: string; meta?: Record<string, unknown> },
    );
  }
}
