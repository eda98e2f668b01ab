import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOW_TRACING_INTERCEPTORS } from '../src/service/tracing';

const ignore = (): undefined => undefined;
/** Webpack's progress lines are noise next to a service's own output; its warnings and errors are kept. */
const quietBundlerLogger = {
  log: ignore,
  trace: ignore,
  debug: ignore,
  info: ignore,
  warn: console.warn,
  error: console.error,
};

/**
 * The workflow code as one bundle, the way a worker loads it from `workflowBundle`, with the tracing
 * interceptors (which cost next to nothing while tracing is off), so one bundle serves either way.
 */
export async function bundleVerificationWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    workflowInterceptorModules: [WORKFLOW_TRACING_INTERCEPTORS],
    logger: quietBundlerLogger,
  });
  return code;
}
