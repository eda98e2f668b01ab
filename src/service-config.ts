import { DEFAULT_TASK_QUEUE } from './contracts';

/** Task queue shared by the worker and every client; TEMPORAL_TASK_QUEUE overrides it. */
export function taskQueueFromEnv(env: NodeJS.ProcessEnv = process.env): string {
  const value = env.TEMPORAL_TASK_QUEUE?.trim();
  return value ? value : DEFAULT_TASK_QUEUE;
}
