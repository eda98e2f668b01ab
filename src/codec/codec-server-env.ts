import { EnvReader, type Env } from '../env-readers';
import { type CodecServerOptions, DEFAULT_CODEC_PORT } from './codec-server';

/** Everything but the codec, from CODEC_* variables; unset variables keep the server's defaults. */
export function codecServerOptionsFromEnv(env: Env = process.env): Omit<CodecServerOptions, 'codec'> {
  const read = new EnvReader(env);
  const port = read.port('CODEC_PORT') ?? DEFAULT_CODEC_PORT;
  const bodyLimitBytes = read.integer('CODEC_BODY_LIMIT_BYTES', 1);
  const allowedOrigins = read.list('CODEC_CORS_ORIGIN');
  for (const origin of allowedOrigins ?? []) {
    if (!/^https?:\/\/[^/\s]+$/.test(origin)) {
      read.problem(`CODEC_CORS_ORIGIN: "${origin}" is not an origin (scheme://host[:port], no path)`);
    }
  }
  const namespaces = read.list('CODEC_NAMESPACES');
  const host = read.text('CODEC_HOST');
  const authToken = read.text('CODEC_AUTH_TOKEN');
  read.throwIfAny();
  return {
    port,
    ...(host && { host }),
    ...(allowedOrigins && { allowedOrigins }),
    ...(namespaces && { namespaces }),
    ...(authToken && { authToken }),
    ...(bodyLimitBytes !== undefined && { bodyLimitBytes }),
  };
}
