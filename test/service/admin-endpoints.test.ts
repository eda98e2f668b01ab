import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { SandboxHandle } from '../../caliza-double';
import { freePort } from '../../dev/free-port';
import { sampleIndividual } from '../../dev/sample-beneficiaries';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { CalizaClient } from '../../src/caliza';
import { VerificationClient } from '../../src/client';
import { workflowIdFor } from '../../src/contracts';
import { runEntry } from '../support/entry-process';
import { uniqueTaskQueue, workflowBundle } from '../support/temporal';
import {
  calizaConfigFor,
  calizaEnvFor,
  decideAtSandbox,
  eventually,
  withSandboxAndDevServer,
} from '../stack/support';
import { exportedMetricNames, queriedMetricNames } from './promql-names';

type Entry = ReturnType<typeof runEntry>;

/** The admin port a process logged (ADMIN_PORT=0 lets it pick one). */
async function adminUrl(run: Entry): Promise<string> {
  await run.waitFor('admin server listening', 30_000);
  const line = run
    .output()
    .split('\n')
    .find((entry) => entry.includes('admin server listening'));
  const port = (JSON.parse(line ?? '{}') as { port?: number }).port;
  if (!port) throw new Error(`no admin port in ${line}`);
  return `http://127.0.0.1:${port}`;
}

async function get(url: string): Promise<{ status: number; text: string }> {
  const response = await fetch(url);
  return { status: response.status, text: await response.text() };
}

const OBSERVABILITY = path.join(PROJECT_ROOT, 'deploy', 'observability');

async function setFaults(sandbox: SandboxHandle, patch: Record<string, unknown>): Promise<void> {
  const response = await fetch(`${sandbox.adminUrl}/faults`, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(patch),
  });
  if (!response.ok) throw new Error(`faults: ${response.status} ${await response.text()}`);
}

describe('admin endpoints of the worker and the receiver, against the dev server', () => {
  const context = withSandboxAndDevServer();

  it('serve health and every metric the dashboard and alerts query; SIGTERM drains and exits', async () => {
    const { sandbox, dev } = context;
    const taskQueue = uniqueTaskQueue('admin');
    const temporalEnv = {
      TEMPORAL_ADDRESS: process.env.TEST_TEMPORAL_ADDRESS ?? '',
      TEMPORAL_TASK_QUEUE: taskQueue,
      ...calizaEnvFor(sandbox),
    };
    const webhookPort = await freePort();
    const worker = runEntry('src/worker.ts', [], {
      ...temporalEnv,
      WORKFLOW_BUNDLE_PATH: workflowBundle().codePath,
    });
    const receiver = runEntry('src/webhooks/main.ts', [], {
      ...temporalEnv,
      WEBHOOK_PORT: String(webhookPort),
      WEBHOOK_HOST: '127.0.0.1',
    });
    try {
      const [workerAdmin, receiverAdmin] = await Promise.all([adminUrl(worker), adminUrl(receiver)]);
      expect(receiverAdmin).not.toBe(`http://127.0.0.1:${webhookPort}`);
      for (const admin of [workerAdmin, receiverAdmin]) {
        expect(await get(`${admin}/livez`)).toMatchObject({ status: 200 });
        // Ready once the worker polls its queue (as Temporal sees it) and the receiver reaches Temporal.
        await eventually(
          async () => ((await get(`${admin}/readyz`)).status === 200 ? true : undefined),
          `${admin}/readyz`,
          30_000,
        );
      }
      // The receiver's public port keeps its own probes.
      expect((await get(`http://127.0.0.1:${webhookPort}/healthz`)).status).toBe(200);

      // One verification decided by a webhook, so that the service's counters have values.
      const caliza = new CalizaClient(calizaConfigFor(sandbox));
      await caliza.setWebhookUrl(
        (await caliza.getIntegrator()).id,
        `http://127.0.0.1:${webhookPort}/webhooks/caliza`,
      );
      const verifications = new VerificationClient(dev.client, { taskQueue });
      const beneficiary = await caliza.createBeneficiary(sampleIndividual('admin'));
      await verifications.start(beneficiary.id);
      expect(await decideAtSandbox(sandbox, beneficiary.id, 'approve')).toBe(202);
      expect(await verifications.result(beneficiary.id)).toMatchObject({ outcome: 'APPROVED' });

      // And one whose calls fail (every attempt answered 503): its retries, failure and back-off are counted.
      const failing = await caliza.createBeneficiary(sampleIndividual('admin-failing'));
      await setFaults(sandbox, { api: { serverErrorShare: 1, serverErrorStatuses: [503] } });
      // Its start waits for a session that cannot be created; it ends when the run is terminated below.
      const failingStart = verifications.start(failing.id).catch(() => undefined);
      let workerMetrics: string;
      try {
        workerMetrics = await eventually(async () => {
          const { text } = await get(`${workerAdmin}/metrics`);
          const complete = ['caliza_verifications_decided{', 'caliza_verification_backoffs{'];
          return complete.every((name) => text.includes(name)) ? text : undefined;
        }, 'the decision and the back-off in the worker metrics');
      } finally {
        await setFaults(sandbox, { api: { serverErrorShare: 0 } });
        await dev.client.workflow
          .getHandle(workflowIdFor(failing.id))
          .terminate('test over')
          .catch(() => undefined);
        await failingStart;
      }
      const receiverMetrics = (await get(`${receiverAdmin}/metrics`)).text;

      expect(workerMetrics).toMatch(/^caliza_verifications_started\{[^}]*\} 2$/m);
      expect(workerMetrics).toMatch(
        /^caliza_verifications_decided\{decided_by="WEBHOOK",namespace="default",outcome="APPROVED",[^}]*\} 1$/m,
      );
      expect(workerMetrics).toMatch(
        /^caliza_verification_decision_seconds_count\{[^}]*outcome="APPROVED"[^}]*\} 1$/m,
      );
      expect(workerMetrics).toMatch(
        /^caliza_http_requests_total\{endpoint="POST \/v1\/beneficiaries\/\{id\}\/verification",status="201"\} 1$/m,
      );
      expect(workerMetrics).toMatch(/^caliza_http_requests_total\{endpoint="token",status="200"\} \d+$/m);
      // The failing verification: three attempts answered 503, two of them retries, one failure, one back-off.
      expect(workerMetrics).toMatch(
        /^caliza_http_requests_total\{endpoint="POST \/v1\/beneficiaries\/\{id\}\/verification",status="503"\} 3$/m,
      );
      expect(workerMetrics).toMatch(
        /^caliza_activity_retries\{activityType="createVerificationSession",[^}]*\} 2$/m,
      );
      expect(workerMetrics).toMatch(
        /^caliza_call_failures\{kind="TRANSIENT",[^}]*purpose="CREATE",[^}]*\} 1$/m,
      );
      expect(workerMetrics).toMatch(/^caliza_verification_backoffs\{[^}]*\} 1$/m);
      expect(workerMetrics).toMatch(
        /^temporal_worker_task_slots_available\{[^}]*worker_type="WorkflowWorker"/m,
      );
      expect(workerMetrics).toMatch(/^temporal_sticky_cache_size\{/m);
      expect(receiverMetrics).toMatch(/^caliza_webhook_deliveries_total\{result="accepted"\} [1-9]/m);
      expect(receiverMetrics).toMatch(/^process_resident_memory_bytes \d+/m);

      // Every metric the dashboard and the alert rules query is exported by one of the two processes.
      const exported = new Set([
        ...exportedMetricNames(workerMetrics),
        ...exportedMetricNames(receiverMetrics),
      ]);
      const queried = new Set([
        ...queriedMetricNames(
          readFileSync(path.join(OBSERVABILITY, 'grafana-dashboard.json'), 'utf8'),
          'json',
        ),
        ...queriedMetricNames(readFileSync(path.join(OBSERVABILITY, 'alert-rules.yaml'), 'utf8'), 'yaml'),
      ]);
      expect(queried.size).toBeGreaterThan(8);
      expect([...queried].filter((name) => !exported.has(name))).toEqual([]);
    } finally {
      worker.child.kill('SIGTERM');
      receiver.child.kill('SIGTERM');
    }
    expect(await worker.exited).toBe(0);
    expect(await receiver.exited).toBe(0);
    expect(worker.output()).toContain('worker stopped');
  });
});
