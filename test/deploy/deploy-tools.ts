/**
 * Where scripts/install-deploy-checkers.sh and scripts/install-node-lts.sh put their tools, read from the
 * versions the scripts themselves name, so that a version is written once.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from '../../dev/tool-paths';

const TOOLS = path.join(PROJECT_ROOT, '.tools');

function scriptVariable(script: string, name: string): string {
  const text = readFileSync(path.join(PROJECT_ROOT, 'scripts', script), 'utf8');
  const match = new RegExp(`^${name}="([^"]+)"$`, 'm').exec(text);
  if (!match) throw new Error(`scripts/${script} sets no ${name}`);
  return match[1]!;
}

function installed(file: string): string {
  if (!existsSync(file)) {
    throw new Error(`${file} is missing: run \`npm run setup:deploy\` (npm test does it first)`);
  }
  return file;
}

const checkers = (name: string) => scriptVariable('install-deploy-checkers.sh', name);

export const hadolintPath = () =>
  installed(path.join(TOOLS, `hadolint-${checkers('hadolint_version')}/bin/hadolint`));
export const kubeconformPath = () =>
  installed(path.join(TOOLS, `kubeconform-${checkers('kubeconform_version')}/kubeconform`));
export const kustomizePath = () =>
  installed(path.join(TOOLS, `kustomize-${checkers('kustomize_version')}/kustomize`));

/** The Kubernetes versions the manifests are validated against, and the schemas' folder. */
export function kubernetesSchemas(): { versions: string[]; dir: string } {
  const text = readFileSync(path.join(PROJECT_ROOT, 'scripts/install-deploy-checkers.sh'), 'utf8');
  const list = /^kubernetes_versions=\(([^)]*)\)$/m.exec(text);
  const versions = [...(list?.[1] ?? '').matchAll(/"([^"]+)"/g)].map((match) => match[1]!);
  if (versions.length === 0)
    throw new Error('scripts/install-deploy-checkers.sh names no kubernetes_versions');
  const dir = path.join(
    TOOLS,
    `kubernetes-schemas-${checkers('schemas_version')}-${versions.join('-')}/schemas`,
  );
  return { versions, dir: installed(dir) };
}

/** The Node LTS version the image and the second CI run use. */
export const nodeLtsVersion = () => scriptVariable('install-node-lts.sh', 'version');
