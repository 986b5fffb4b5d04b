// Small statistics helpers for the report.

/** The q-quantile (0..1) of ascending `sorted` by the nearest-rank method; NaN when empty. */
export function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil(q * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/**
 * The median item by `value` of those that did not fail (the lower middle of an even count); `items[0]`
 * when all failed, undefined when there are none.
 */
export function medianBy<T>(items: readonly T[], value: (t: T) => number, failed: (t: T) => boolean): T | undefined {
  const ok = items.filter((t) => !failed(t)).sort((a, b) => value(a) - value(b));
  return ok[Math.floor((ok.length - 1) / 2)] ?? items[0];
}
