/**
 * Seedable pseudo-random numbers so a run with injected faults can be replayed exactly. Each concern draws
 * from its own stream, so extra API calls never shift which webhooks get dropped (and vice versa).
 */
export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
  /** True with probability `share` (0 never draws, 1 never draws). */
  chance(share: number): boolean;
  /** Uniform integer in [min, max]. */
  between(min: number, max: number): number;
  pick<T>(items: readonly T[]): T;
}

/** FNV-1a over the label mixed with the seed: a stable, well-spread 32-bit seed per stream. */
function streamSeed(seed: number, label: string): number {
  let hash = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < label.length; i += 1) {
    hash ^= label.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** mulberry32: tiny, fast and good enough for fault shares (not for secrets). */
export function createRandom(seed: number, label: string): Random {
  let state = streamSeed(seed, label);
  const next = (): number => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance(share) {
      if (share <= 0) return false;
      if (share >= 1) return true;
      return next() < share;
    },
    between(min, max) {
      if (max <= min) return min;
      return min + Math.floor(next() * (max - min + 1));
    },
    pick(items) {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error('pick() needs at least one item');
      return item;
    },
  };
}
