/** The Kubernetes manifests as the cluster gets them: rendered by kustomize, read as objects. */
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { PROJECT_ROOT } from '../../dev/tool-paths';
import { kustomizePath } from './deploy-tools';

export const KUBERNETES_DIR = path.join(PROJECT_ROOT, 'deploy/kubernetes');
export const KUSTOMIZATIONS = ['base', 'overlays/example'];

/** A rendered object; only the fields the tests read are typed, the rest is left as it comes. */
export interface Resource {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  spec?: any; // eslint-disable-line @typescript-eslint/no-explicit-any
  data?: Record<string, string>;
}

export function renderYaml(kustomization: string): string {
  return execFileSync(kustomizePath(), ['build', path.join(KUBERNETES_DIR, kustomization)], {
    encoding: 'utf8',
  });
}

export function render(kustomization: string): Resource[] {
  return parseAllDocuments(renderYaml(kustomization)).map((document) => document.toJS() as Resource);
}

/** A Kubernetes quantity of memory (`512Mi`, `1Gi`, `500M`) in MiB. */
export function mebibytes(quantity: string): number {
  const match = /^(\d+(?:\.\d+)?)(Ki|Mi|Gi|K|M|G)?$/.exec(quantity);
  if (!match) throw new Error(`not a memory quantity: ${quantity}`);
  const factor: Record<string, number> = {
    Ki: 1 / 1024,
    Mi: 1,
    Gi: 1024,
    K: 1000 / 1024 ** 2,
    M: 1000 ** 2 / 1024 ** 2,
    G: 1000 ** 3 / 1024 ** 2,
  };
  return Number(match[1]) * (match[2] ? factor[match[2]]! : 1 / 1024 ** 2);
}

/** The memory request and limit, in MiB, of a Deployment's one container in the base. */
export function deploymentMemory(name: string): { requestMiB: number; limitMiB: number } {
  const deployment = render('base').find((r) => r.kind === 'Deployment' && r.metadata.name === name);
  if (!deployment) throw new Error(`no Deployment ${name} in the base`);
  const { resources } = deployment.spec.template.spec.containers[0];
  return { requestMiB: mebibytes(resources.requests.memory), limitMiB: mebibytes(resources.limits.memory) };
}
