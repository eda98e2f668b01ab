import {
  type CalizaConfig,
  DEFAULT_CALIZA_TIMEOUT_MS,
  DEFAULT_CALIZA_TOKEN_REFRESH_MARGIN_MS,
} from '../src/caliza/config';
import type { SandboxHandle } from './server';

/** The Caliza client's settings that reach this double; timings are Caliza's defaults unless given. */
export function calizaConfigFor(
  double: SandboxHandle,
  timings: Partial<Pick<CalizaConfig, 'timeoutMs' | 'tokenRefreshMarginMs'>> = {},
): CalizaConfig {
  return {
    apiBaseUrl: double.apiBaseUrl,
    tokenUrl: double.tokenUrl,
    ...double.credentials,
    timeoutMs: timings.timeoutMs ?? DEFAULT_CALIZA_TIMEOUT_MS,
    tokenRefreshMarginMs: timings.tokenRefreshMarginMs ?? DEFAULT_CALIZA_TOKEN_REFRESH_MARGIN_MS,
  };
}
