/**
 * The container image's entry commands, run as the image runs them: `node dist/main.js <part>` in the
 * image's /app layout (production dependencies only, the `npm run build` output, the prebuilt workflow
 * bundle through WORKFLOW_BUNDLE_PATH as the Dockerfile sets it), against the dev server and the Caliza double.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { type SandboxHandle, startSandbox } from '../../caliza-double';
import { freePort } from '../../dev/free-port';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { CalizaClient } from '../../src/caliza';
import { DEFAULT_HEAP_LIMIT_MB } from '../../src/service/heap-limit';
import { VerificationClient } from '../../src/client';
import { runNode } from '../support/entry-process';
import { keysEnv } from '../codec/keys';
import { calizaConfigFor, calizaEnvFor, verifyThroughWebhook } from '../stack/support';
import { connectToDevServer, uniqueTaskQueue } from '../support/temporal';
import { layImage } from './image-layout';
import { deploymentMemory } from './manifests';

/** Resident memory of a running process, in MiB (Linux). */
function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1]);
  return Math.round(kib / 1024);
}

describe('the image entries, from the built dist/ with production dependencies only', () => {
  let appDir: string;
  let sandbox: SandboxHandle;
  let dev: Awaited<ReturnType<typeof connectToDevServer>>;
  // What the Dockerfile's ENV gives every process, with the bundle where this layout has it.
  const imageEnv = () => ({
    NODE_ENV: 'production',
    WORKFLOW_BUNDLE_PATH: path.join(appDir, 'dist/workflow-bundle.js'),
  });
  const node = (args: string[], env: Record<string, string>) =>
    runNode(args, { cwd: appDir, env: { ...imageEnv(), ...env } });

  beforeAll(async () => {
    ({ appDir } = await layImage('image'));
    sandbox = await startSandbox({ processingDelayMs: 50 });
    dev = await connectToDevServer();
  }, 240_000);
  afterAll(async () => {
    await dev?.close();
    await sandbox?.close();
  });

  it('holds the compiled entries and no development package', () => {
    for (const file of ['main.js', 'healthcheck.js', 'ops/main.js', 'workflow-bundle.js']) {
      expect({ file, exists: existsSync(path.join(appDir, 'dist', file)) }).toEqual({ file, exists: true });
    }
    for (const devOnly of ['tsx', 'typescript', 'jest', '@swc/jest', 'eslint']) {
      expect({ devOnly, present: existsSync(path.join(appDir, 'node_modules', devOnly)) }).toEqual({
        devOnly,
        present: false,
      });
    }
    expect(existsSync(path.join(appDir, 'node_modules/@temporalio/worker/package.json'))).toBe(true);
  });

  it('runs the worker and the receiver apart, takes a verification from webhook to result, and drains on SIGTERM', async () => {
    const caliza = new CalizaClient(calizaConfigFor(sandbox));
    const integratorId = (await caliza.getIntegrator()).id;
    const temporal = {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS ?? '',
      TEMPORAL_TASK_QUEUE: uniqueTaskQueue('image'),
    };
    const webhookPort = await freePort();
    const adminPorts = { worker: String(await freePort()), receiver: String(await freePort()) };
    const worker = node(['dist/main.js', 'worker'], {
      ...temporal,
      ADMIN_PORT: adminPorts.worker,
      ...calizaEnvFor(sandbox),
    });
    // As in the manifests: the receiver is given its secret, and needs no Caliza credentials.
    const receiver = node(['dist/main.js', 'webhooks'], {
      ...temporal,
      ADMIN_PORT: adminPorts.receiver,
      WEBHOOK_PORT: String(webhookPort),
      WEBHOOK_HOST: '127.0.0.1',
      CALIZA_WEBHOOK_SECRETS: await caliza.getWebhookSecret(integratorId),
    });
    try {
      await Promise.all([
        worker.waitFor('worker started', 60_000),
        receiver.waitFor('webhook receiver listening', 30_000),
      ]);
      await caliza.setWebhookUrl(integratorId, `http://127.0.0.1:${webhookPort}/webhooks/caliza`);
      // The image's HEALTHCHECK command, against each running process's admin port, and against none.
      for (const port of Object.values(adminPorts)) {
        expect(await node(['dist/healthcheck.js'], { ADMIN_PORT: port }).exited).toBe(0);
      }
      expect(await node(['dist/healthcheck.js'], { ADMIN_PORT: String(await freePort()) }).exited).not.toBe(
        0,
      );

      const verifications = new VerificationClient(dev.client, { taskQueue: temporal.TEMPORAL_TASK_QUEUE });
      const beneficiaryId = await verifyThroughWebhook(sandbox, caliza, verifications, 'image');

      // The operator command from the same image and entry.
      const ops = node(['dist/main.js', 'ops', 'state', beneficiaryId], temporal);
      expect(await ops.exited).toBe(0);
      expect(JSON.parse(ops.output().trim())).toMatchObject({
        command: 'state',
        beneficiaryId,
        execution: 'COMPLETED',
      });

      // Each process bounded its own heap where Node can re-execute (the image's Node 24), under the same
      // pid that SIGTERM reaches below; elsewhere it said how to set the flag.
      for (const run of [worker, receiver]) {
        const heapLine = run
          .output()
          .split('\n')
          .find((line) => line.includes('"msg":"heap limit"'));
        expect(heapLine).toBeDefined();
        const heap = JSON.parse(heapLine as string) as { heapLimitMb: number | null; why: string };
        if (typeof (process as { execve?: unknown }).execve === 'function') {
          expect(heap.heapLimitMb).toBe(DEFAULT_HEAP_LIMIT_MB);
        } else {
          expect(heap).toMatchObject({ heapLimitMb: null, why: expect.stringContaining('NODE_OPTIONS=') });
        }
      }

      // Resident memory after start-up and one verification, against what the manifests request.
      const measured = { worker: rssMiB(worker.child.pid!), receiver: rssMiB(receiver.child.pid!) };
      writeFileSync(
        path.join(PROJECT_ROOT, 'test-results/image-entries-rss.json'),
        `${JSON.stringify({ node: process.version, rssMiB: measured }, null, 2)}\n`,
      );
      expect(measured.worker).toBeLessThan(deploymentMemory('caliza-kyc-worker').requestMiB);
      expect(measured.receiver).toBeLessThan(deploymentMemory('caliza-kyc-receiver').requestMiB);
    } finally {
      worker.child.kill('SIGTERM');
      receiver.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
    expect(await receiver.exited).toBe(0);
    expect(worker.output()).toContain('worker stopped');
    expect(receiver.output()).toContain('webhook receiver stopped');
    expect(worker.output()).not.toContain(sandbox.credentials.password);
  });

  it('runs the codec server', async () => {
    const port = await freePort();
    const codec = node(['dist/main.js', 'codec-server'], {
      ...keysEnv(['k1']).env,
      CODEC_PORT: String(port),
      ADMIN_PORT: String(await freePort()),
    });
    try {
      await codec.waitFor('codec server listening', 30_000);
      const answer = await fetch(`http://127.0.0.1:${port}/decode`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-namespace': 'default' },
        body: JSON.stringify({ payloads: [] }),
      });
      expect(answer.status).toBe(200);
      expect(await answer.json()).toEqual({ payloads: [] });
    } finally {
      codec.child.kill('SIGTERM');
    }
    expect(await codec.exited).toBe(0);
  });

  it('HEALTHCHECK: exits 0 when /livez on ADMIN_PORT answers 2xx, 1 otherwise', async () => {
    let status = 200;
    const paths: string[] = [];
    const admin = http.createServer((request, response) => {
      paths.push(request.url ?? '');
      response.writeHead(status).end();
    });
    await new Promise<void>((resolve) => admin.listen(0, '127.0.0.1', resolve));
    const port = String((admin.address() as AddressInfo).port);
    const check = async (env: Record<string, string>) => node(['dist/healthcheck.js'], env).exited;
    try {
      expect(await check({ ADMIN_PORT: port })).toBe(0);
      status = 503;
      expect(await check({ ADMIN_PORT: port })).toBe(1);
      expect(paths).toEqual(['/livez', '/livez']);
    } finally {
      await new Promise((resolve) => admin.close(resolve));
    }
    expect(await check({ ADMIN_PORT: port })).toBe(1);
    expect(await check({ ADMIN_PORT: 'nine' })).toBe(1);
  });
});
