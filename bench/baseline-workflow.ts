/**
 * The baseline for the end-to-end benchmark: the least a workflow can do in the shape of a verification,
 * i.e. one local activity, then wait for one signal, then complete. It runs on the same server, with the
 * same worker tuning, as `verifyBeneficiary`, so its throughput is the server's limit for this shape of
 * work on this machine. Bundled on its own (`bundleWorkflowCode({ workflowsPath: <this file> })`).
 *
 * Its `baselineSession` update is the bare update-with-start of the start-latency section: answered once
 * the local activity has returned, as `start()` is answered once the session is created.
 */
import {
  condition,
  defineSignal,
  defineUpdate,
  proxyLocalActivities,
  setHandler,
} from '@temporalio/workflow';

export interface BaselineActivities {
  /** Does nothing but return: the cost of a local activity round trip. */
  baselineStep(id: string): Promise<string>;
}

export const baselineSignal = defineSignal<[string]>('baselineEvent');
export const baselineSessionUpdate = defineUpdate<string>('baselineSession');

const { baselineStep } = proxyLocalActivities<BaselineActivities>({ startToCloseTimeout: '15s' });

export async function baselineWorkflow(id: string): Promise<string> {
  let event: string | null = null;
  let step: string | null = null;
  setHandler(baselineSignal, (value) => {
    event = value;
  });
  setHandler(baselineSessionUpdate, async () => {
    await condition(() => step !== null);
    return step ?? '';
  });
  step = await baselineStep(id);
  await condition(() => event !== null);
  return `${id}:${event ?? ''}`;
}
