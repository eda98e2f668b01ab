/**
 * The keys of the most recent outcome deliveries, bounded, least recently seen dropped first. Only for
 * counting duplicates: the workflow de-duplicates on its own, so forgetting a key costs nothing.
 */
export class RecentDeliveries {
  private readonly keys = new Map<string, true>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('capacity must be an integer >= 0');
  }

  /** Remembers `key`; true when it was already there. */
  seen(key: string): boolean {
    const known = this.keys.delete(key);
    if (this.capacity === 0) return known;
    this.keys.set(key, true);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.keys().next();
      if (!oldest.done) this.keys.delete(oldest.value);
    }
    return known;
  }

  get size(): number {
    return this.keys.size;
  }
}
