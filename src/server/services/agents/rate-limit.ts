/** @module Token buckets kept in a bounded LRU map, so neither rotating keys nor addresses grows memory without limit. */

/** The outcome of taking one token: allowed, or how long to wait. */
export type RateDecision = { ok: true } | { ok: false; retryAfterSeconds: number };

interface Bucket {
  tokens: number;
  at: number;
}

/** A set of token buckets, one per key, each holding `capacity` tokens that refill evenly over `windowMs`. */
export interface RateLimiter {
  /** Takes one token from the key's bucket at time `at`. */
  take(key: string, limit: { capacity: number; windowMs: number }, at: number): RateDecision;
  /** How many buckets are held (for tests of the bound). */
  size(): number;
}

/** Builds a limiter that forgets the least recently used bucket once it holds `maxEntries`. */
export function createRateLimiter(options: { maxEntries?: number } = {}): RateLimiter {
  const { maxEntries = 50_000 } = options;
  const buckets = new Map<string, Bucket>();
  return {
    take(key, { capacity, windowMs }, at) {
      const refillPerMs = capacity / windowMs;
      const found = buckets.get(key);
      const tokens = found ? Math.min(capacity, found.tokens + Math.max(0, at - found.at) * refillPerMs) : capacity;
      // Re-inserting moves the key to the end of the Map's order, which makes the first key the least recently used.
      buckets.delete(key);
      if (tokens < 1) {
        buckets.set(key, { tokens, at });
        return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / refillPerMs / 1000)) };
      }
      buckets.set(key, { tokens: tokens - 1, at });
      if (buckets.size > maxEntries) buckets.delete(buckets.keys().next().value!);
      return { ok: true };
    },
    size: () => buckets.size,
  };
}
