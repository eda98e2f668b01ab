/**
 * The Caliza sandbox double that `npm start` runs, found from a second terminal: its admin API says where
 * its Core API is and which credentials it accepts, so the dev commands need no configuration.
 */
import {
  CalizaClient,
  DEFAULT_CALIZA_TIMEOUT_MS,
  DEFAULT_CALIZA_TOKEN_REFRESH_MARGIN_MS,
} from '../src/caliza';
import { SandboxAdmin, type SandboxInfo, SandboxUnreachableError } from './demo/sandbox-admin';

/** `SANDBOX_URL`, else the double's port (`SANDBOX_PORT`, 4010 by default) on this machine. */
export function sandboxUrl(env: NodeJS.ProcessEnv): string {
  return env.SANDBOX_URL?.trim() || `http://127.0.0.1:${env.SANDBOX_PORT?.trim() || '4010'}`;
}

export interface SandboxCaliza {
  admin: SandboxAdmin;
  info: SandboxInfo;
  /** A Caliza client with the double's own credentials. */
  caliza: CalizaClient;
}

/**
 * Connects to the running double; `needs` finishes the sentence "<command> needs the Caliza sandbox
 * double that `npm start` runs" when nothing answers, and says why the real Caliza will not do.
 */
export async function connectSandboxCaliza(
  env: NodeJS.ProcessEnv,
  command: string,
  whyNotRealCaliza: string,
): Promise<SandboxCaliza> {
  const admin = new SandboxAdmin(sandboxUrl(env));
  let info: SandboxInfo;
  try {
    info = await admin.info();
  } catch (err) {
    if (!(err instanceof SandboxUnreachableError)) throw err;
    throw new Error(
      `${command} needs the Caliza sandbox double that \`npm start\` runs, and ${err.message}. ` +
        'Start the service with `npm start` (without CALIZA_API_BASE_URL), or point SANDBOX_URL at a running double. ' +
        whyNotRealCaliza,
    );
  }
  const caliza = new CalizaClient({
    apiBaseUrl: info.apiBaseUrl,
    tokenUrl: info.tokenUrl,
    ...info.credentials,
    timeoutMs: DEFAULT_CALIZA_TIMEOUT_MS,
    tokenRefreshMarginMs: DEFAULT_CALIZA_TOKEN_REFRESH_MARGIN_MS,
  });
  return { admin, info, caliza };
}
