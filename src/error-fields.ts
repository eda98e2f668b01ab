/**
 * Errors as log fields. pino writes an Error it does not know as `{}` (its own serializer handles only the
 * `err` key), and errors from workflow code arrive from the workflow's own context, where `instanceof
 * Error` is false; so any object with a string `message` is read field by field.
 */

/** How deep a chain of causes is followed. */
const CAUSE_DEPTH = 3;

interface ErrorLike {
  name?: unknown;
  message: string;
  type?: unknown;
  details?: unknown;
  cause?: unknown;
}

function isErrorLike(value: unknown): value is ErrorLike {
  return typeof value === 'object' && value !== null && typeof (value as ErrorLike).message === 'string';
}

/** Caliza's error code, which the activities put in an ApplicationFailure's `details[0].code`. */
export function calizaCodeOf(error: unknown): string | null {
  for (let current: unknown = error, depth = 0; isErrorLike(current) && depth <= CAUSE_DEPTH; depth += 1) {
    const first: unknown = Array.isArray(current.details) ? current.details[0] : undefined;
    const code = typeof first === 'object' && first !== null ? (first as { code?: unknown }).code : undefined;
    if (typeof code === 'string' && code !== '') return code;
    current = current.cause;
  }
  return null;
}

/** `{ name, type, message, calizaCode, cause }` for an error; anything else as it is. */
export function errorFields(error: unknown, depth = 0): unknown {
  if (!isErrorLike(error)) return error;
  const fields: Record<string, unknown> = {
    name: typeof error.name === 'string' ? error.name : 'Error',
    message: error.message,
  };
  if (typeof error.type === 'string') fields.type = error.type;
  const code = calizaCodeOf(error);
  if (code !== null) fields.calizaCode = code;
  if (error.cause !== undefined && error.cause !== null && depth < CAUSE_DEPTH) {
    fields.cause = errorFields(error.cause, depth + 1);
  }
  return fields;
}

/** The same metadata with every error-valued field written out. */
export function withErrorFields(meta: Record<string, unknown>): Record<string, unknown> {
  let changed: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(meta)) {
    if (!isErrorLike(value)) continue;
    changed ??= { ...meta };
    changed[key] = errorFields(value);
  }
  return changed ?? meta;
}
