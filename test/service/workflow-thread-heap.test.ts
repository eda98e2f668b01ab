import { Worker as ThreadWorker } from 'node:worker_threads';
import { WORKFLOW_THREAD_HEAP_MB, workflowThreadHeapFlag } from '../../src/service/verification-worker';

describe('the workflow threads’ heap limit', () => {
  it('is set by default, and left alone where the process or NODE_OPTIONS sets one', () => {
    expect(workflowThreadHeapFlag(WORKFLOW_THREAD_HEAP_MB, [], '')).toBe('--max-old-space-size=192');
    expect(workflowThreadHeapFlag(256, ['--import', 'tsx'], '--enable-source-maps')).toBe(
      '--max-old-space-size=256',
    );
    expect(workflowThreadHeapFlag(192, ['--max-old-space-size=512'], '')).toBeNull();
    expect(workflowThreadHeapFlag(192, [], '--enable-source-maps --max_old_space_size=1024')).toBeNull();
    // Other flags that merely start alike are not a heap limit.
    expect(workflowThreadHeapFlag(192, ['--max-old-space-size-foo'], '')).toBe('--max-old-space-size=192');
  });

  it('reaches a thread created after it is set, as the SDK creates its workflow threads', async () => {
    const v8 = await import('node:v8');
    const flag = workflowThreadHeapFlag(WORKFLOW_THREAD_HEAP_MB, [], '');
    if (!flag) throw new Error('expected a flag');
    v8.setFlagsFromString(flag);
    const limitMb = await new Promise<number>((resolve, reject) => {
      const thread = new ThreadWorker(
        "require('node:worker_threads').parentPort.postMessage(require('node:v8').getHeapStatistics().heap_size_limit)",
        { eval: true },
      );
      thread.once('message', (bytes: number) => resolve(bytes / 1024 / 1024));
      thread.once('error', reject);
    });
    // Old space plus the young generation.
    expect(limitMb).toBeGreaterThanOrEqual(WORKFLOW_THREAD_HEAP_MB);
    expect(limitMb).toBeLessThan(WORKFLOW_THREAD_HEAP_MB + 100);
  });
});
