/** @module Small statistics for benchmark samples: percentiles and formatting. */

/** Returns the p-th percentile (0–100) of the samples, by linear interpolation between closest ranks. */
export function percentile(samples: number[], p: number): number {
  if (samples.length === 0) throw new Error("percentile of no samples");
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}

/** Returns the median of the samples. */
export const median = (samples: number[]): number => percentile(samples, 50);

/** Formats a number with a fixed count of decimals. */
export const fixed = (value: number, decimals = 1): string => value.toFixed(decimals);
