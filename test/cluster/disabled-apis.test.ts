import { execFile } from 'node:child_process';
import { appendFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { ensureNamespace, renderConfig } from '../../scripts/cluster/cluster';
import { clusterLayout } from '../../scripts/cluster/layout';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { sleep } from '../support/chaos-rig';

const DYNAMIC_CONFIG_POLL_MS = 10_000;

const run = promisify(execFile);
const layout = clusterLayout();
const NAMESPACE = 'multi-operation-off';

/**
 * A cluster's operator may switch update-with-start off (`frontend.enableExecuteMultiOperation`, on by
 * default in server 1.29). The starter then says so in one line, with the server's reason, instead of a
 * bare "Update-With-Start failed".
 */
describe('a namespace with update-with-start switched off', () => {
  beforeAll(async () => {
    await ensureNamespace({ ...layout, namespace: NAMESPACE });
    appendFileSync(
      path.join(layout.configDir, 'dynamicconfig.yaml'),
      [
        'frontend.enableExecuteMultiOperation:',
        '  - value: false',
        '    constraints:',
        `      namespace: ${NAMESPACE}`,
        '',
      ].join('\n'),
    );
    // The services read their dynamic config file every 10 s (`dynamicConfigClient.pollInterval`).
    await sleep(DYNAMIC_CONFIG_POLL_MS + 1_000);
  }, 60_000);

  afterAll(() => {
    // Back to the committed dynamic config (the services read it again within 10 s).
    renderConfig(layout);
  });

  it('makes the starter exit 1 with one line naming the disabled API', async () => {
    const failure = await run(
      process.execPath,
      [
        path.join(PROJECT_ROOT, 'node_modules/tsx/dist/cli.mjs'),
        'src/starter.ts',
        '0123456789abcdef01234567',
      ],
      {
        cwd: PROJECT_ROOT,
        env: {
          PATH: process.env.PATH,
          HOME: process.env.HOME,
          TEMPORAL_ADDRESS: layout.address,
          TEMPORAL_NAMESPACE: NAMESPACE,
          TEMPORAL_TASK_QUEUE: NAMESPACE,
        },
      },
    ).then(
      () => null,
      (err: { code: number; stderr: string }) => err,
    );
    expect(failure?.code).toBe(1);
    const lines = (failure?.stderr ?? '').trim().split('\n');
    expect(lines).toEqual([
      expect.stringMatching(
        /^error: Update-With-Start failed: 7 PERMISSION_DENIED: ExecuteMultiOperation API is disabled on this namespace/,
      ),
    ]);
  }, 60_000);
});
