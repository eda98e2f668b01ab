/**
 * `npm run cluster -- up|down|status`: the project's self-hosted Temporal cluster (docs/self-hosting.md).
 * `up` builds the binaries on first use, then starts PostgreSQL and the four services; each command prints
 * one JSON object.
 */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { clusterDown, clusterStatus, clusterUp } from './cluster';
import { clusterLayout } from './layout';

const USAGE = 'usage: npm run cluster -- up|down|status';

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (rest.length > 0 || !command) throw new Error(USAGE);
  const layout = clusterLayout();
  switch (command) {
    case 'up': {
      execFileSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'cluster', 'install.sh')], {
        stdio: ['ignore', 'inherit', 'inherit'],
      });
      const started = Date.now();
      const status = await clusterUp(layout);
      console.log(JSON.stringify({ command, ...status, tookMs: Date.now() - started }, null, 2));
      return 0;
    }
    case 'down':
      await clusterDown(layout);
      console.log(JSON.stringify({ command, stopped: true, dataDir: layout.dataDir }));
      return 0;
    case 'status': {
      const status = await clusterStatus(layout);
      console.log(JSON.stringify({ command, ...status }, null, 2));
      return status.postgres.running && status.services.every((s) => s.serving) ? 0 : 1;
    }
    default:
      throw new Error(`unknown command ${command}; ${USAGE}`);
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
