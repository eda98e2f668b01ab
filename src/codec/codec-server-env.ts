import { type CodecServerOptions, DEFAULT_CODEC_PORT } from './codec-server';

type Env = Record<string, string | undefined>;

/** Everything but the codec, from CODEC_* variables; unset variables keep the server's defaults. */
export function codecServerOptionsFromEnv(env: Env = process.env): Omit<CodecServerOptions, 'codec'> {
  const port = integer(env, 'CODEC_PORT', 0, 65_535) ?? DEFAULT_CODEC_PORT;
  const bodyLimitBytes = integer(env, 'CODEC_BODY_LIMIT_BYTES', 1, Number.MAX_SAFE_INTEGER);
  const allowedOrigins = list(env, 'CODEC_CORS_ORIGIN');
  for (const origin of allowedOrigins ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      throw new Error(`CODEC_CORS_ORIGIN: "${origin}" is not an origin (scheme://host[:port], no path)`);
    }
  }
  const namespaces = list(env, 'CODEC_NAMESPACES');
  const host = read(env, 'CODEC_HOST');
  const authToken = read(env, 'CODEC_AUTH_TOKEN');
  return {
    port,
    ...(host && { host }),
    ...(allowedOrigins && { allowedOrigins }),
    ...(namespaces && { namespaces }),
    ...(authToken && { authToken }),
    ...(bodyLimitBytes !== undefined && { bodyLimitBytes }),
  };
}

function read(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

function list(env: Env, name: string): string[] | undefined {
  const values = read(env, name)
    ?.split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
  return values && values.length > 0 ? values : undefined;
}

function integer(env: Env, name: string, min: number, max: number): number | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${name}: expected an integer from ${min} to ${max}, got "${raw}"`);
  }
  return value;
}
