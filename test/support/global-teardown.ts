import { stopTestCluster } from './test-cluster';

export default async function globalTeardown(): Promise<void> {
  await globalThis.__DEV_SERVER__?.stop();
  await stopTestCluster(globalThis.__TEST_CLUSTER__);
}
