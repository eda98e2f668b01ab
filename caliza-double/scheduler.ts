/**
 * Every timer the double starts goes through here, so `close()` can cancel all of them at once and a
 * test never leaves an open handle behind.
 */
export type Cancel = () => void;

export class Scheduler {
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly sleepers = new Set<() => void>();
  private closed = false;

  constructor(private readonly onError: (error: unknown) => void) {}

  after(delayMs: number, task: () => void | Promise<void>): Cancel {
    if (this.closed) return () => undefined;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        try {
          const result = task();
          if (result instanceof Promise) result.catch(this.onError);
        } catch (error) {
          this.onError(error);
        }
      },
      Math.max(0, delayMs),
    );
    this.timers.add(timer);
    return () => {
      clearTimeout(timer);
      this.timers.delete(timer);
    };
  }

  /** Resolves after `delayMs`, or at once when the scheduler closes (so in-flight requests can finish). */
  sleep(delayMs: number): Promise<void> {
    if (this.closed || delayMs <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      const wake = (): void => {
        this.sleepers.delete(wake);
        cancel();
        resolve();
      };
      const cancel = this.after(delayMs, wake);
      this.sleepers.add(wake);
    });
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    for (const wake of [...this.sleepers]) wake();
  }
}
