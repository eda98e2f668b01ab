/** Bounded concurrency, bounded waits and progress lines for the benchmark. */

/** Runs `fn` over `items` with at most `limit` calls in flight; results keep the input order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const lanes = Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, async () => {
    for (;;) {
      const index = next++;
      if (index >= items.length) return;
      results[index] = await fn(items[index] as T, index);
    }
  });
  await Promise.all(lanes);
  return results;
}

export class BenchTimeoutError extends Error {}

/** Rejects with a BenchTimeoutError when `promise` has not settled within `ms`. */
export async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new BenchTimeoutError(`${what} did not finish within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every `intervalMs` until it returns true; throws after `timeoutMs`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  { timeoutMs, intervalMs = 200, what }: { timeoutMs: number; intervalMs?: number; what: string },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return;
    if (Date.now() > deadline) throw new BenchTimeoutError(`${what} not reached within ${timeoutMs} ms`);
    await sleep(intervalMs);
  }
}

/**
 * Progress on stderr: one line per step, and, for counted work, a line at most every 2 s (or an updating
 * line on a terminal). stdout stays free for the Markdown summary.
 */
export class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private readonly started = Date.now();
  private lastLine = 0;

  constructor(private readonly quiet = false) {}

  step(message: string): void {
    if (this.quiet) return;
    this.clear();
    process.stderr.write(`[bench ${this.elapsed()}] ${message}\n`);
  }

  count(label: string, done: number, total: number): void {
    if (this.quiet) return;
    const now = Date.now();
    const finished = done >= total;
    if (!finished && now - this.lastLine < (this.tty ? 200 : 2_000)) return;
    this.lastLine = now;
    const line = `[bench ${this.elapsed()}]   ${label}: ${done}/${total}`;
    if (this.tty) process.stderr.write(`\r${line}\x1b[K${finished ? '\n' : ''}`);
    else process.stderr.write(`${line}\n`);
  }

  private clear(): void {
    if (this.tty) process.stderr.write('\r\x1b[K');
  }

  private elapsed(): string {
    return `${((Date.now() - this.started) / 1000).toFixed(1)}s`;
  }
}
