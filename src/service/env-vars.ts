/**
 * Every environment variable this project reads, declared once: the README's configuration table is
 * generated from this list (`npm run docs:config`), and a test checks both that the table is in step and
 * that every variable the code reads is declared here. The values themselves are read and checked by
 * `EnvReader` (src/env-readers.ts) in the module that owns each setting.
 */

/** Who reads a variable: a part of the service, a client, or a development tool. */
export type EnvVarReader =
  | 'worker'
  | 'webhooks'
  | 'codec-server'
  | 'api'
  | 'clients'
  | 'start'
  | 'caliza-double'
  | 'demo'
  | 'create-beneficiary'
  | 'cluster';

export interface EnvVarDeclaration {
  /**
   * The README's first column: one or more names in backticks (`NAME_*` for a family documented
   * elsewhere), in the words a reader needs.
   */
  variable: string;
  /** Markdown: the value when unset. */
  default: string;
  /** Markdown: what it sets. */
  meaning: string;
  readBy: readonly EnvVarReader[];
}

export const ENV_VARS: readonly EnvVarDeclaration[] = [
  {
    variable: '`TEMPORAL_ADDRESS`',
    default: 'unset: `npm start` runs its own dev server (other processes use `localhost:7233`)',
    meaning: 'Temporal frontend',
    readBy: ['worker', 'webhooks', 'clients'],
  },
  {
    variable: '`TEMPORAL_NAMESPACE`',
    default: '`default`',
    meaning: 'namespace',
    readBy: ['worker', 'webhooks', 'clients'],
  },
  {
    variable:
      '`TEMPORAL_API_KEY`, `TEMPORAL_TLS`, `TEMPORAL_TLS_*`, `TEMPORAL_PROFILE`, `TEMPORAL_CONFIG_FILE`',
    default: 'unset',
    meaning: "Temporal's standard connection settings (an API key turns TLS on)",
    readBy: ['worker', 'webhooks', 'clients'],
  },
  {
    variable: '`TEMPORAL_TASK_QUEUE`',
    default: '`caliza-kyc`',
    meaning: 'task queue of the worker and every client',
    readBy: ['worker', 'webhooks', 'clients'],
  },
  {
    variable: '`TEMPORAL_DEV_PORT`',
    default: '`7233`',
    meaning: "`npm start`'s dev server gRPC port",
    readBy: ['start'],
  },
  {
    variable: '`TEMPORAL_DEV_UI_PORT`',
    default: '`8233`',
    meaning: 'its Web UI port (`0` picks a free one)',
    readBy: ['start'],
  },
  {
    variable: '`TEMPORAL_DEV_DB_FILE`',
    default: '`.data/temporal-dev.sqlite`',
    meaning: 'its data (`:memory:` keeps nothing)',
    readBy: ['start'],
  },
  {
    variable: '`TEMPORAL_CLI_PATH`',
    default: '`.tools/bin/temporal`',
    meaning: 'Temporal CLI used for the dev server',
    readBy: ['start'],
  },
  {
    variable: '`CALIZA_API_BASE_URL`',
    default:
      'unset: `npm start` runs the sandbox double (a standalone worker uses `https://api.sandbox.caliza.com/core-api`)',
    meaning: 'Caliza Core API base',
    readBy: ['worker', 'webhooks'],
  },
  {
    variable: '`CALIZA_TOKEN_URL`',
    default: 'origin of the API base + `/auth/realms/caliza/protocol/openid-connect/token`',
    meaning: 'OAuth2 token endpoint',
    readBy: ['worker', 'webhooks'],
  },
  {
    variable: '`CALIZA_CLIENT_ID`, `CALIZA_CLIENT_SECRET`, `CALIZA_USERNAME`, `CALIZA_PASSWORD`',
    default: 'required with a real Caliza',
    meaning: 'password-grant credentials',
    readBy: ['worker', 'webhooks'],
  },
  {
    variable: '`CALIZA_TIMEOUT_MS`',
    default: '`10000`',
    meaning: 'timeout of each Caliza call',
    readBy: ['worker', 'webhooks'],
  },
  {
    variable: '`CALIZA_TOKEN_REFRESH_MARGIN_MS`',
    default: '`60000`',
    meaning: 'token renewed this long before expiry',
    readBy: ['worker', 'webhooks'],
  },
  {
    variable: '`CALIZA_WEBHOOK_SECRETS` / `CALIZA_WEBHOOK_SECRET`',
    default: '`npm start`: read from Caliza; `npm run webhooks`: required',
    meaning: 'webhook secrets, current first',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_PORT`',
    default: '`3000`',
    meaning: 'receiver port',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_HOST`',
    default: '`0.0.0.0` (`127.0.0.1` under `npm start`)',
    meaning: 'receiver address',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_PATH`',
    default: '`/webhooks/caliza`',
    meaning: 'webhook route',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_BODY_LIMIT_BYTES`',
    default: '`65536`',
    meaning: 'largest body',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_TEMPORAL_TIMEOUT_MS`',
    default: '`3000`',
    meaning: 'deadline of each signal to Temporal',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_RETRY_AFTER_SECONDS`',
    default: '`5`',
    meaning: '`Retry-After` on a 503',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_FORWARD_URL`',
    default: 'unset',
    meaning: "the integrator's endpoint: events the service does not act on are forwarded there",
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_FORWARD_ALL`',
    default: '`false`',
    meaning: '`true`: forward the verification outcomes too, after signalling them',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_FORWARD_TIMEOUT_MS`',
    default: '`1000`',
    meaning: 'bound on one forward; with `WEBHOOK_FORWARD_ALL`, plus the signal deadline + 500 ms, ≤ 4500',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_SECRET_REFRESH_MS`',
    default: '`60000`',
    meaning: 'how often a secret read from Caliza is read again',
    readBy: ['webhooks'],
  },
  {
    variable: '`WEBHOOK_PUBLIC_URL`',
    default: 'unset',
    meaning:
      'URL `npm start` registers at Caliza (a tunnel); without it only the sandbox double gets the local URL',
    readBy: ['start'],
  },
  {
    variable: '`PAYLOAD_ENCRYPTION_KEYS` / `PAYLOAD_ENCRYPTION_KEY_ID`',
    default: 'unset (encryption off) / first id',
    meaning: 'payload encryption, see [docs/encryption.md](docs/encryption.md)',
    readBy: ['worker', 'webhooks', 'codec-server', 'clients'],
  },
  {
    variable: '`CODEC_PORT`',
    default: '`8888`',
    meaning: 'codec server port (`npm start` runs one for its UI when encryption is on)',
    readBy: ['codec-server'],
  },
  {
    variable:
      '`CODEC_HOST`, `CODEC_CORS_ORIGIN`, `CODEC_AUTH_TOKEN`, `CODEC_NAMESPACES`, `CODEC_BODY_LIMIT_BYTES`',
    default: '`127.0.0.1`, the dev UI origins, unset, any, `4194304`',
    meaning: 'standalone codec server',
    readBy: ['codec-server'],
  },
  {
    variable: '`API_KEY_HASHES`',
    default: 'required by the HTTP API',
    meaning:
      'accepted HTTP API keys as `sha256:<hex>`, comma-separated, up to 10 (`npm run ops -- hash-api-key`); see [docs/http-api.md](docs/http-api.md)',
    readBy: ['api'],
  },
  {
    variable: '`API_PORT`',
    default: '`3002`',
    meaning: 'HTTP API port',
    readBy: ['api'],
  },
  {
    variable: '`API_HOST`',
    default: '`0.0.0.0`',
    meaning: 'HTTP API address',
    readBy: ['api'],
  },
  {
    variable: '`SANDBOX_PORT`',
    default: '`4010`',
    meaning: 'sandbox double port',
    readBy: ['caliza-double', 'demo', 'create-beneficiary'],
  },
  {
    variable: '`SANDBOX_PROCESSING_DELAY_MS`',
    default: '`1000`',
    meaning: 'time a decided session stays PROCESSING',
    readBy: ['caliza-double'],
  },
  {
    variable: 'other `SANDBOX_*` (credentials, webhook retries, faults, auto-decide, seed)',
    default: 'see [docs/caliza-double.md](docs/caliza-double.md)',
    meaning: 'sandbox double',
    readBy: ['caliza-double'],
  },
  {
    variable: '`WORKFLOW_BUNDLE_PATH`',
    default: 'unset (bundled at start)',
    meaning: 'prebuilt workflow bundle',
    readBy: ['worker'],
  },
  {
    variable: '`HEAP_LIMIT_MB`',
    default: '`256`',
    meaning:
      'V8 heap limit (`--max-old-space-size`, and 16 MB semi-spaces) each service process re-executes itself with at start (Node ≥ 22.15; not where Node’s own sizing is tighter); `0` keeps Node’s default, otherwise at least `64` (docs/deploying.md)',
    readBy: ['worker', 'webhooks', 'codec-server', 'api'],
  },
  {
    variable: '`NODE_OPTIONS`',
    default: 'unset',
    meaning:
      'Node’s own options; a `--max-old-space-size` there (or on the command line) is kept, and `HEAP_LIMIT_MB` is not applied',
    readBy: ['worker', 'webhooks', 'codec-server', 'api'],
  },
  {
    variable: '`ADMIN_PORT`',
    default: '`9090`',
    meaning:
      "admin server of every process: `/livez`, `/readyz`, `/metrics` (the SDK's and the service's metrics); `0` picks a free port (docs/observing.md)",
    readBy: ['worker', 'webhooks', 'codec-server'],
  },
  {
    variable:
      '`OTEL_TRACES_EXPORTER`, `OTEL_EXPORTER_OTLP_ENDPOINT`, `OTEL_EXPORTER_OTLP_*`, `OTEL_SERVICE_NAME`, `OTEL_SDK_DISABLED`',
    default: 'unset: tracing off',
    meaning:
      'OpenTelemetry tracing, on with `OTEL_TRACES_EXPORTER=otlp` (or `console`) or an OTLP endpoint; the OTLP/HTTP exporter reads its own `OTEL_EXPORTER_OTLP_*` (docs/observing.md)',
    readBy: ['worker', 'webhooks'],
  },
  {
    variable: '`ADMIN_HOST`',
    default: '`0.0.0.0`',
    meaning: 'interface the admin server listens on',
    readBy: ['worker', 'webhooks', 'codec-server'],
  },
  {
    variable: '`LOG_LEVEL`',
    default: '`info`',
    meaning: 'pino level',
    readBy: ['worker', 'webhooks', 'codec-server'],
  },
  {
    variable: '`LOG_FORMAT`',
    default: '`pretty` on a terminal, else `json`',
    meaning: '`npm start` log lines',
    readBy: ['start'],
  },
  {
    variable: '`SANDBOX_URL` / `TEMPORAL_UI_URL`',
    default: '`http://127.0.0.1:4010` / `http://127.0.0.1:8233`',
    meaning:
      'where `npm run demo` and `npm run create-beneficiary` find the double; where the demo links the UI',
    readBy: ['demo', 'create-beneficiary'],
  },
  {
    variable:
      '`CLUSTER_PORT` / `CLUSTER_PG_PORT` / `CLUSTER_DATA_DIR` / `CLUSTER_PG_BIN` / `CLUSTER_NAMESPACE`',
    default: '`17233` / `15433` / `.data/cluster` / `/usr/lib/postgresql/15/bin` / `default`',
    meaning:
      "`npm run cluster`: the frontend port (the other services take the next ones), PostgreSQL's port, where data and logs go, PostgreSQL 15's binaries, the namespace it registers; see [docs/self-hosting.md](docs/self-hosting.md)",
    readBy: ['cluster'],
  },
];

/** The names a declaration covers; a name ending in `*` stands for a family. */
export function declaredNames(declaration: EnvVarDeclaration): string[] {
  return [...declaration.variable.matchAll(/`([A-Z][A-Z0-9_]*\*?)`/g)].map((match) => match[1] as string);
}
