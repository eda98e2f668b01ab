/**
 * CLI entry: `tsx caliza-double/main.ts`. Configuration comes from SANDBOX_* variables (docs/caliza-double.md).
 * Local development only: the admin API is unauthenticated and the default credentials are public.
 */
import { optionsFromEnv } from './env';
import { startSandbox } from './server';

async function main(): Promise<void> {
  const options = optionsFromEnv(process.env);
  const sandbox = await startSandbox(options);
  const lines = [
    'Caliza sandbox double is running',
    `  base URL        ${sandbox.url}`,
    `  API base URL    ${sandbox.apiBaseUrl}`,
    `  token URL       ${sandbox.tokenUrl}`,
    `  admin API       ${sandbox.adminUrl}`,
    `  client id       ${sandbox.credentials.clientId}`,
    `  client secret   ${sandbox.credentials.clientSecret}`,
    `  username        ${sandbox.credentials.username}`,
    `  password        ${sandbox.credentials.password}`,
    `  integrator id   ${sandbox.integratorId}`,
    `  webhook secret  ${sandbox.webhookSecret()}`,
    `  seed            ${sandbox.seed}`,
  ];
  process.stdout.write(`${lines.join('\n')}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal} received, shutting down\n`);
    sandbox.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

main().catch((error: unknown) => {
  process.stderr.write(
    `sandbox failed to start: ${error instanceof Error ? error.message : String(error)}\n`,
  );
  process.exit(1);
});
