/**
 * The subset of pino's API the client uses, so a pino logger (or a child of one) can be passed as is.
 * Entries carry method, path, status and duration only: never headers, bodies or credentials.
 */
export interface CalizaLogger {
  debug(obj: Record<string, unknown>, msg: string): void;
  info(obj: Record<string, unknown>, msg: string): void;
  warn(obj: Record<string, unknown>, msg: string): void;
  error(obj: Record<string, unknown>, msg: string): void;
}

const ignore = (): void => undefined;

export const silentLogger: CalizaLogger = { debug: ignore, info: ignore, warn: ignore, error: ignore };
