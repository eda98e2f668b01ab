/**
 * The keys of the most recent outcome deliveries that Temporal accepted, bounded, least recently seen
 * dropped first. A delivery of a known key is answered without signalling again; forgetting a key only
 * costs one more signal, which the workflow de-duplicates on its own.
 */
export class RecentDeliveries {
  private readonly keys = new Map<string, true>();

  constructor(private readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 0) throw new RangeError('capacity must be an integer >= 0');
  }

  /** Whether `key` is known; a known key counts as just seen. */
  has(key: string): boolean {
    if (!this.keys.has(key)) return false;
    this.keys.delete(key);
    this.keys.set(key, true);
    return true;
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
