/**
 * The sandbox double's admin API (`/__admin`, docs/caliza-double.md) over HTTP, for the demo and the tests: the
 * double's URLs and credentials, webhook faults and the delivery log.
 */
import type {
  DeliveryLogEntry,
  FaultConfig,
  FaultConfigPatch,
  SandboxCredentials,
} from '../../caliza-double';

export interface SandboxInfo {
  url: string;
  apiBaseUrl: string;
  tokenUrl: string;
  integratorId: string;
  credentials: SandboxCredentials;
  /** Empty when no webhook URL is configured. */
  callbackUrl: string;
  processingDelayMs: number;
}

export class SandboxUnreachableError extends Error {
  override readonly name = 'SandboxUnreachableError';
}

export class SandboxAdmin {
  readonly adminUrl: string;

  constructor(
    baseUrl: string,
    private readonly timeoutMs = 5_000,
  ) {
    this.adminUrl = `${baseUrl.replace(/\/+$/, '')}/__admin`;
  }

  /** Rejects with SandboxUnreachableError when nothing answers like the double at this URL. */
  async info(): Promise<SandboxInfo> {
    let response: Response;
    try {
      response = await fetch(`${this.adminUrl}/info`, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (err) {
      const cause =
        err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new SandboxUnreachableError(`nothing answers at ${this.adminUrl} (${cause})`);
    }
    if (!response.ok) {
      throw new SandboxUnreachableError(
        `${this.adminUrl}/info answered ${response.status}: not the sandbox double`,
      );
    }
    return (await response.json()) as SandboxInfo;
  }

  async faults(): Promise<FaultConfig> {
    return (await this.call<{ config: FaultConfig }>('GET', '/faults')).config;
  }

  async patchFaults(patch: FaultConfigPatch): Promise<FaultConfig> {
    return (await this.call<{ config: FaultConfig }>('PATCH', '/faults', patch)).config;
  }

  async deliveries(beneficiaryId: string): Promise<DeliveryLogEntry[]> {
    const query = new URLSearchParams({ beneficiaryId });
    return (await this.call<{ entries: DeliveryLogEntry[] }>('GET', `/webhooks/deliveries?${query}`)).entries;
  }

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.adminUrl}${path}`, {
      method,
      ...(body !== undefined && {
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      }),
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    if (!response.ok) throw new Error(`${method} ${this.adminUrl}${path} answered ${response.status}`);
    return (await response.json()) as T;
  }
}
