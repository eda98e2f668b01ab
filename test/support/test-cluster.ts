import { existsSync } from 'node:fs';
import { clusterDown, clusterStatus, clusterUp } from '../../scripts/cluster/cluster';
import { type ClusterLayout, clusterLayout } from '../../scripts/cluster/layout';

/** `TEST_TEMPORAL_TARGET=cluster`: the suite runs against the self-hosted cluster instead of the dev server. */
export function testTargetIsCluster(): boolean {
  return process.env.TEST_TEMPORAL_TARGET === 'cluster';
}

export interface TestCluster {
  layout: ClusterLayout;
  /** The global setup started it, so the global teardown stops it; a cluster already up is left up. */
  startedHere: boolean;
}

/** Brings the project's cluster up (`npm run cluster -- up` does the same) for one test run. */
export async function startTestCluster(layout = clusterLayout()): Promise<TestCluster> {
  for (const executable of [layout.serverBin, layout.sqlBin]) {
    if (!existsSync(executable)) {
      throw new Error(
        `${executable} is missing: run \`bash scripts/cluster/install.sh\` (npm run test:cluster does it first)`,
      );
    }
  }
  const before = await clusterStatus(layout);
  const wasUp = before.postgres.running && before.services.every((s) => s.serving);
  try {
    await clusterUp(layout);
  } catch (err) {
    // Half a cluster must not outlive a failed setup.
    if (!wasUp) await clusterDown(layout).catch(() => undefined);
    throw err;
  }
  return { layout, startedHere: !wasUp };
}

export async function stopTestCluster(cluster: TestCluster | undefined): Promise<void> {
  if (cluster?.startedHere) await clusterDown(cluster.layout);
}
