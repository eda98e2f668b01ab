import { bundleWorkflowCode } from '@temporalio/worker';

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

/** The workflow code as one bundle, the way a worker loads it from `workflowBundle`. */
export async function bundleVerificationWorkflows(): Promise<string> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: require.resolve('../src/workflows'),
    logger: quietBundlerLogger,
  });
  return code;
}
