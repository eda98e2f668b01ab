/**
 * The Kubernetes manifests, rendered by kustomize, validated offline by kubeconform against the Kubernetes
 * schemas, and checked against what the service and its measurements say: probes on the admin port's
 * health endpoints, a termination grace above the drain bound, memory from the benchmark, secrets by reference.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { SERVICE_PARTS } from '../../src/service/config';
import { SHUTDOWN_GRACE_MS } from '../../src/service/run';
import { DEFAULT_WEBHOOK_PATH } from '../../src/webhooks/config';
import { DEFAULT_ADMIN_PORT } from '../../src/service/admin-server';
import { kubeconformPath, kubernetesSchemas } from './deploy-tools';
import { KUSTOMIZATIONS, type Resource, mebibytes, render, renderYaml } from './manifests';

/** kubeconform on YAML given on stdin, strict (unknown fields are errors), with the installed schemas. */
function kubeconform(yaml: string, version: string): Promise<{ code: number; output: string }> {
  const { dir } = kubernetesSchemas();
  const location = `${dir}/{{ .NormalizedKubernetesVersion }}-local-strict/{{ .ResourceKind }}{{ .KindSuffix }}.json`;
  return new Promise((resolve) => {
    const child = execFile(
      kubeconformPath(),
      ['-strict', '-summary', '-kubernetes-version', version, '-schema-location', location, '-'],
      (err, stdout, stderr) =>
        resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stdout}${stderr}` }),
    );
    child.stdin!.end(yaml);
  });
}

/** The benchmark's worker memory figures (MB), read from the kept full run. */
function benchmarkWorkerMemory(): { holdingMB: number; peakMB: number } {
  const text = readFileSync(path.join(PROJECT_ROOT, 'bench/results/example.md'), 'utf8');
  const holding = /RSS holding all \d+: (\d+) MB/.exec(text);
  const peak = /peak RSS (\d+) MB/.exec(text);
  if (!holding || !peak) throw new Error('bench/results/example.md has no worker memory figures');
  return { holdingMB: Number(holding[1]), peakMB: Number(peak[1]) };
}

const MB_IN_MIB = 1000 ** 2 / 1024 ** 2;

describe.each(kubernetesSchemas().versions)('on Kubernetes %s', (version) => {
  it('every kustomization renders valid objects', async () => {
    // One kubeconform run for all of them: most of its time goes into reading the schemas.
    const yaml = KUSTOMIZATIONS.map((kustomization) => renderYaml(kustomization)).join('\n---\n');
    const count = KUSTOMIZATIONS.flatMap((kustomization) => render(kustomization)).length;
    const { code, output } = await kubeconform(yaml, version);
    expect(output.trim()).toBe(
      `Summary: ${count} resources found parsing stdin - Valid: ${count}, Invalid: 0, Errors: 0, Skipped: 0`,
    );
    expect(code).toBe(0);
  });
});

describe.each(KUSTOMIZATIONS)('the Kubernetes manifests (%s)', (kustomization) => {
  const resources = render(kustomization);
  const byKind = (kind: string) => resources.filter((r) => r.kind === kind);
  const deployment = (name: string) => byKind('Deployment').find((d) => d.metadata.name === name)!;
  const container = (name: string) => deployment(name).spec.template.spec.containers[0];

  it('run every Deployment from the image by a part of the service, as a non-root user', () => {
    expect(
      byKind('Deployment')
        .map((d) => d.metadata.name)
        .sort(),
    ).toEqual(['caliza-kyc-receiver', 'caliza-kyc-worker']);
    expect(container('caliza-kyc-worker').args).toEqual(['worker']);
    expect(container('caliza-kyc-receiver').args).toEqual(['webhooks']);
    for (const d of byKind('Deployment')) {
      const pod = d.spec.template.spec;
      expect(SERVICE_PARTS).toContain(pod.containers[0].args[0]);
      expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000 });
      expect(pod.containers[0].securityContext).toMatchObject({
        allowPrivilegeEscalation: false,
        readOnlyRootFilesystem: true,
      });
    }
  });

  it('probe /livez and /readyz on the admin port, and expose only the webhook route publicly', () => {
    for (const d of byKind('Deployment')) {
      const c = d.spec.template.spec.containers[0];
      const admin = c.ports.find((p: { name: string }) => p.name === 'admin');
      expect(admin.containerPort).toBe(DEFAULT_ADMIN_PORT);
      expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'admin' });
      expect(c.startupProbe.httpGet).toEqual({ path: '/livez', port: 'admin' });
      expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'admin' });
    }
    const [service] = byKind('Service');
    expect(service!.spec.selector).toEqual(deployment('caliza-kyc-receiver').spec.selector.matchLabels);
    const http = container('caliza-kyc-receiver').ports.find((p: { name: string }) => p.name === 'http');
    const env = container('caliza-kyc-receiver').env as { name: string; value?: string }[];
    expect(env.find((e) => e.name === 'WEBHOOK_PORT')?.value).toBe(String(http.containerPort));
    const [ingress] = byKind('Ingress');
    const paths = ingress!.spec.rules.flatMap((rule: any) => rule.http.paths); // eslint-disable-line @typescript-eslint/no-explicit-any
    expect(paths).toEqual([
      {
        path: DEFAULT_WEBHOOK_PATH,
        pathType: 'Exact',
        backend: { service: { name: service!.metadata.name, port: { name: 'http' } } },
      },
    ]);
    expect(service!.spec.ports.find((p: { name: string }) => p.name === 'http').targetPort).toBe('http');
  });

  it('give each pod longer to stop than the process takes to drain', () => {
    for (const d of byKind('Deployment')) {
      const pod = d.spec.template.spec;
      const preStop = pod.containers[0].lifecycle?.preStop?.exec?.command as string[] | undefined;
      const preStopMs = preStop ? Number(preStop[1]) * 1000 : 0;
      expect(pod.terminationGracePeriodSeconds * 1000).toBeGreaterThan(SHUTDOWN_GRACE_MS + preStopMs);
    }
  });

  it('request the worker memory the benchmark measured, and limit it above the measured peak', () => {
    const { holdingMB, peakMB } = benchmarkWorkerMemory();
    const { resources: worker } = container('caliza-kyc-worker');
    expect(mebibytes(worker.requests.memory)).toBeGreaterThanOrEqual(holdingMB * MB_IN_MIB);
    expect(mebibytes(worker.limits.memory)).toBeGreaterThan(peakMB * MB_IN_MIB);
    for (const d of byKind('Deployment')) {
      const { requests, limits } = d.spec.template.spec.containers[0].resources;
      expect(mebibytes(limits.memory)).toBeGreaterThan(mebibytes(requests.memory));
      expect(requests.cpu).toBeDefined();
    }
  });

  it('keep every disruption budget and autoscaler on a Deployment, at two pods or more', () => {
    for (const pdb of byKind('PodDisruptionBudget')) {
      const target = byKind('Deployment').find(
        (d) => JSON.stringify(d.spec.selector.matchLabels) === JSON.stringify(pdb.spec.selector.matchLabels),
      );
      expect({ pdb: pdb.metadata.name, target: target?.metadata.name }).toEqual({
        pdb: pdb.metadata.name,
        target: pdb.metadata.name,
      });
      expect(pdb.spec.maxUnavailable).toBe(1);
    }
    const hpas = byKind('HorizontalPodAutoscaler');
    expect(hpas.map((h) => h.spec.scaleTargetRef.name).sort()).toEqual([
      'caliza-kyc-receiver',
      'caliza-kyc-worker',
    ]);
    for (const hpa of hpas) expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
  });

  it('take secrets by reference only: no credential in a value or in the ConfigMap', () => {
    const secretLike = /SECRET|PASSWORD|API_KEY|ENCRYPTION_KEYS|CLIENT_ID|USERNAME/;
    const configMaps = byKind('ConfigMap');
    for (const map of configMaps) {
      expect(Object.keys(map.data ?? {}).filter((name) => secretLike.test(name))).toEqual([]);
    }
    for (const d of byKind('Deployment')) {
      const c = d.spec.template.spec.containers[0];
      const env = (c.env ?? []) as { name: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }[];
      for (const variable of env.filter((e) => secretLike.test(e.name))) {
        expect({ name: variable.name, value: variable.value }).toEqual({
          name: variable.name,
          value: undefined,
        });
        expect(variable.valueFrom?.secretKeyRef).toBeDefined();
      }
      const fromSecrets = (c.envFrom as { secretRef?: { name: string } }[]).filter((e) => e.secretRef);
      if (d.metadata.name === 'caliza-kyc-worker') expect(fromSecrets).toHaveLength(1);
      const configRef = (c.envFrom as { configMapRef?: { name: string } }[]).find((e) => e.configMapRef);
      expect(configMaps.map((m) => m.metadata.name)).toContain(configRef?.configMapRef?.name);
    }
    expect(byKind('Secret')).toEqual([]);
  });
});

describe('kubeconform', () => {
  it('rejects a manifest with a misspelt field or a wrongly typed value', async () => {
    const [version] = kubernetesSchemas().versions;
    const base = render('base');
    const pdb = structuredClone(base.find((r: Resource) => r.kind === 'PodDisruptionBudget')!);
    pdb.spec.maxUnavailabel = pdb.spec.maxUnavailable;
    const misspelt = await kubeconform(JSON.stringify(pdb), version!);
    expect(misspelt.code).not.toBe(0);
    expect(misspelt.output).toContain("additional properties 'maxUnavailabel' not allowed");

    const worker = structuredClone(base.find((r: Resource) => r.kind === 'Deployment')!);
    worker.spec.template.spec.terminationGracePeriodSeconds = 'thirty';
    const mistyped = await kubeconform(JSON.stringify(worker), version!);
    expect(mistyped.code).not.toBe(0);
    expect(mistyped.output).toContain('terminationGracePeriodSeconds');
  });
});
