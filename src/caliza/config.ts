import { inspect } from 'node:util';
import { z } from 'zod';

export const DEFAULT_CALIZA_API_BASE_URL = 'https://api.sandbox.caliza.com/core-api';
/** Keycloak realm path; the token endpoint lives at the host root, outside `/core-api`. */
export const CALIZA_TOKEN_PATH = '/auth/realms/caliza/protocol/openid-connect/token';
export const DEFAULT_CALIZA_TIMEOUT_MS = 10_000;
export const DEFAULT_CALIZA_TOKEN_REFRESH_MARGIN_MS = 60_000;

export interface CalizaConfig {
  /** Core API base, without a trailing slash (paths such as `/v1/beneficiaries` are appended). */
  apiBaseUrl: string;
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  username: string;
  password: string;
  /** Upper bound for each HTTP call, token calls included. */
  timeoutMs: number;
  /** A token is replaced this long before Caliza says it expires. */
  tokenRefreshMarginMs: number;
}

export type CalizaEnvVarName =
  | 'CALIZA_API_BASE_URL'
  | 'CALIZA_TOKEN_URL'
  | 'CALIZA_CLIENT_ID'
  | 'CALIZA_CLIENT_SECRET'
  | 'CALIZA_USERNAME'
  | 'CALIZA_PASSWORD'
  | 'CALIZA_TIMEOUT_MS'
  | 'CALIZA_TOKEN_REFRESH_MARGIN_MS';

export interface CalizaEnvVar {
  name: CalizaEnvVarName;
  required: boolean;
  /** Secrets are never echoed, logged or serialized. */
  secret: boolean;
  /** Default as documented (null when required or derived). */
  default: string | null;
  description: string;
  /** What a valid value looks like; used in validation messages. */
  expectation: string;
}

/** Every variable the Caliza client reads, in README table order. */
export const CALIZA_ENV_VARS: readonly CalizaEnvVar[] = [
  {
    name: 'CALIZA_API_BASE_URL',
    required: false,
    secret: false,
    default: DEFAULT_CALIZA_API_BASE_URL,
    description: 'Caliza Core API base URL (API paths such as /v1/beneficiaries are appended).',
    expectation: 'must be an http(s) URL',
  },
  {
    name: 'CALIZA_TOKEN_URL',
    required: false,
    secret: false,
    default: null,
    description: `OAuth2 token endpoint. Defaults to the origin of CALIZA_API_BASE_URL + ${CALIZA_TOKEN_PATH}.`,
    expectation: 'must be an http(s) URL',
  },
  {
    name: 'CALIZA_CLIENT_ID',
    required: true,
    secret: false,
    default: null,
    description: 'OAuth2 client id (dashboard: Profile → Client Info).',
    expectation: 'must be a non-empty string',
  },
  {
    name: 'CALIZA_CLIENT_SECRET',
    required: true,
    secret: true,
    default: null,
    description: 'OAuth2 client secret (dashboard: Profile → Client Info).',
    expectation: 'must be a non-empty string',
  },
  {
    name: 'CALIZA_USERNAME',
    required: true,
    secret: false,
    default: null,
    description: 'Caliza dashboard username for the password grant.',
    expectation: 'must be a non-empty string',
  },
  {
    name: 'CALIZA_PASSWORD',
    required: true,
    secret: true,
    default: null,
    description: 'Caliza dashboard password for the password grant.',
    expectation: 'must be a non-empty string',
  },
  {
    name: 'CALIZA_TIMEOUT_MS',
    required: false,
    secret: false,
    default: String(DEFAULT_CALIZA_TIMEOUT_MS),
    description: 'Timeout of every HTTP call to Caliza, in milliseconds.',
    expectation: 'must be a positive integer (milliseconds)',
  },
  {
    name: 'CALIZA_TOKEN_REFRESH_MARGIN_MS',
    required: false,
    secret: false,
    default: String(DEFAULT_CALIZA_TOKEN_REFRESH_MARGIN_MS),
    description: 'How long before its expiry an access token is replaced, in milliseconds.',
    expectation: 'must be a non-negative integer (milliseconds)',
  },
];

export class CalizaConfigError extends Error {
  /** Names of the variables that are missing or invalid. */
  readonly variables: readonly CalizaEnvVarName[];

  constructor(problems: readonly { name: CalizaEnvVarName; problem: string }[]) {
    super(`Invalid Caliza configuration: ${problems.map((p) => `${p.name} ${p.problem}`).join('; ')}`);
    this.variables = problems.map((p) => p.name);
  }
}
// On the prototype, so the stack header captured by the base constructor already shows it.
CalizaConfigError.prototype.name = 'CalizaConfigError';

const requiredText = z.string().min(1);
// Not z.httpUrl(): its hostname rule rejects IP addresses such as a local double on 127.0.0.1.
const httpUrl = z.url({ protocol: /^https?$/ });
const digits = z
  .string()
  .regex(/^\d+$/)
  .transform(Number)
  .pipe(z.number().int().max(Number.MAX_SAFE_INTEGER));

const envSchema = z.object({
  CALIZA_API_BASE_URL: httpUrl.optional(),
  CALIZA_TOKEN_URL: httpUrl.optional(),
  CALIZA_CLIENT_ID: requiredText,
  CALIZA_CLIENT_SECRET: requiredText,
  CALIZA_USERNAME: requiredText,
  CALIZA_PASSWORD: requiredText,
  CALIZA_TIMEOUT_MS: digits.pipe(z.number().positive()).optional(),
  CALIZA_TOKEN_REFRESH_MARGIN_MS: digits.optional(),
});

const byName = new Map(CALIZA_ENV_VARS.map((v) => [v.name, v]));

/** Empty values count as unset; only non-secrets are trimmed (a password may legitimately have spaces). */
function normalize(env: NodeJS.ProcessEnv): Partial<Record<CalizaEnvVarName, string>> {
  const out: Partial<Record<CalizaEnvVarName, string>> = {};
  for (const spec of CALIZA_ENV_VARS) {
    const raw = env[spec.name];
    if (raw === undefined) continue;
    const value = spec.secret ? raw : raw.trim();
    if (value.length > 0) out[spec.name] = value;
  }
  return out;
}

/**
 * Reads and validates the Caliza settings. Throws one {@link CalizaConfigError} naming every missing or
 * invalid variable; messages never include a value.
 */
export function loadCalizaConfig(env: NodeJS.ProcessEnv = process.env): CalizaConfig {
  const input = normalize(env);
  const parsed = envSchema.safeParse(input);
  if (!parsed.success) {
    const names = new Set<CalizaEnvVarName>();
    for (const issue of parsed.error.issues) {
      const name = issue.path[0];
      if (typeof name === 'string' && byName.has(name as CalizaEnvVarName))
        names.add(name as CalizaEnvVarName);
    }
    // Report in table order so messages are stable.
    const problems = CALIZA_ENV_VARS.filter((v) => names.has(v.name)).map((v) => ({
      name: v.name,
      problem: input[v.name] === undefined ? 'is required' : v.expectation,
    }));
    throw new CalizaConfigError(problems);
  }
  const values = parsed.data;
  const apiBaseUrl = (values.CALIZA_API_BASE_URL ?? DEFAULT_CALIZA_API_BASE_URL).replace(/\/+$/, '');
  return withRedactedView({
    apiBaseUrl,
    tokenUrl: values.CALIZA_TOKEN_URL ?? `${new URL(apiBaseUrl).origin}${CALIZA_TOKEN_PATH}`,
    clientId: values.CALIZA_CLIENT_ID,
    clientSecret: values.CALIZA_CLIENT_SECRET,
    username: values.CALIZA_USERNAME,
    password: values.CALIZA_PASSWORD,
    timeoutMs: values.CALIZA_TIMEOUT_MS ?? DEFAULT_CALIZA_TIMEOUT_MS,
    tokenRefreshMarginMs: values.CALIZA_TOKEN_REFRESH_MARGIN_MS ?? DEFAULT_CALIZA_TOKEN_REFRESH_MARGIN_MS,
  });
}

/**
 * A config object is easy to log by accident (`log.info({ config })`); make JSON serialization and
 * `util.inspect` show the secrets as redacted while property access stays normal.
 */
function withRedactedView(config: CalizaConfig): CalizaConfig {
  const view = (): Record<string, unknown> => ({
    ...config,
    clientSecret: '[REDACTED]',
    password: '[REDACTED]',
  });
  Object.defineProperty(config, 'toJSON', { value: view, enumerable: false });
  Object.defineProperty(config, inspect.custom, { value: view, enumerable: false });
  return config;
}
