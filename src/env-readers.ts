/**
 * The one way this project reads environment variables: a blank value counts as unset, and a bad value is
 * recorded as a problem that names its variable (never its value, which may be a secret) instead of being
 * thrown at once, so that a process can report every bad variable together. Which variables exist, with
 * their defaults and meaning, is declared in `src/service/env-vars.ts`.
 */
export type Env = Readonly<Record<string, string | undefined>>;

/** A configuration that could not be read; `problems` has one line per bad variable. */
export class EnvConfigError extends Error {
  constructor(
    readonly problems: readonly string[],
    heading = 'invalid configuration',
  ) {
    super(`${heading}:\n  - ${problems.join('\n  - ')}`);
    this.name = 'EnvConfigError';
  }
}

const TRUE = ['1', 'true', 'yes', 'on'];
const FALSE = ['0', 'false', 'no', 'off'];

export class EnvReader {
  readonly problems: string[] = [];

  constructor(private readonly env: Env = process.env) {}

  /** Records a problem found by the caller (a rule between variables, say). */
  problem(message: string): void {
    this.problems.push(message);
  }

  /** The trimmed value, or undefined when unset or blank. */
  text(name: string): string | undefined {
    const value = this.env[name]?.trim();
    return value ? value : undefined;
  }

  /** A comma-separated list without blank entries, or undefined when it has none. */
  list(name: string): string[] | undefined {
    const items = this.text(name)
      ?.split(',')
      .map((item) => item.trim())
      .filter((item) => item !== '');
    return items && items.length > 0 ? items : undefined;
  }

  /** A whole number from `min` to `max`; undefined when unset or bad (and then a problem is recorded). */
  integer(name: string, min: number, max: number = Number.MAX_SAFE_INTEGER): number | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
    if (Number.isSafeInteger(value) && value >= min && value <= max) return value;
    this.problems.push(`${name} must be an integer from ${min} to ${max}`);
    return undefined;
  }

  /** A finite number from `min` to `max` (a share from 0 to 1, a TTL in seconds). */
  number(name: string, min: number, max: number = Number.MAX_VALUE): number | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    const value = Number(raw);
    if (Number.isFinite(value) && value >= min && value <= max) return value;
    this.problems.push(`${name} must be a number from ${min} to ${max}`);
    return undefined;
  }

  boolean(name: string): boolean | undefined {
    const raw = this.text(name)?.toLowerCase();
    if (raw === undefined) return undefined;
    if (TRUE.includes(raw)) return true;
    if (FALSE.includes(raw)) return false;
    this.problems.push(`${name} must be true or false`);
    return undefined;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T | undefined {
    const raw = this.text(name);
    if (raw === undefined) return undefined;
    if ((values as readonly string[]).includes(raw)) return raw as T;
    this.problems.push(`${name} must be one of ${values.join(', ')}`);
    return undefined;
  }

  /** A TCP port; 0 asks the system for a free one. */
  port(name: string): number | undefined {
    return this.integer(name, 0, 65_535);
  }

  /** Throws every recorded problem at once, as `error(problems)` builds it. */
  throwIfAny(
    error: (problems: readonly string[]) => Error = (problems) => new EnvConfigError(problems),
  ): void {
    if (this.problems.length > 0) throw error([...this.problems]);
  }
}
