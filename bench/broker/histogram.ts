// A latency histogram with bounded memory and bounded relative error, mergeable across processes.
// Log-linear buckets (the HdrHistogram idea): values below 128 µs get one bucket per microsecond; above
// that, every power of two is split into 64 equal buckets, so a bucket is never wider than 1/64 (1.6 %)
// of the values in it. One fixed array covers 0 µs to 2^31 µs (about 36 minutes); larger values land in
// the last bucket, while the exact maximum is tracked separately.

/** Values below this are counted exactly, one bucket per microsecond. */
const LINEAR_LIMIT = 128;
/** Buckets per power of two above LINEAR_LIMIT (relative width 1/64). */
const SUB_BUCKETS = 64;
/** Largest power-of-two exponent covered: values up to 2^31 - 1 µs. */
const MAX_EXPONENT = 30;
/** Number of buckets: the linear ones, then 64 per exponent 7..30. */
export const HISTOGRAM_BUCKETS = LINEAR_LIMIT + (MAX_EXPONENT - 6) * SUB_BUCKETS;

/** The plain-data form of a histogram, as sent between processes. */
export interface HistogramSnapshot {
  counts: Float64Array;
  total: number;
  maxUs: number;
}

/** Bucket index of a value in microseconds (negative values count as 0). */
export function bucketOf(valueUs: number): number {
  const v = valueUs > 0 ? Math.floor(valueUs) : 0;
  if (v < LINEAR_LIMIT) return v;
  if (v >= 2 ** (MAX_EXPONENT + 1)) return HISTOGRAM_BUCKETS - 1;
  const exponent = 31 - Math.clz32(v);
  const shift = exponent - 6;
  // v >> shift keeps the 7 leading bits, in [64, 127]: the bucket inside this power of two.
  return shift * SUB_BUCKETS + (v >>> shift);
}

/** The smallest value and the width of a bucket. */
export function bucketRange(index: number): { lowUs: number; widthUs: number } {
  if (index < LINEAR_LIMIT) return { lowUs: index, widthUs: 1 };
  const exponent = Math.floor(index / SUB_BUCKETS) + 5;
  const shift = exponent - 6;
  const mantissa = index - shift * SUB_BUCKETS;
  return { lowUs: mantissa * 2 ** shift, widthUs: 2 ** shift };
}

export class LatencyHistogram {
  private counts = new Float64Array(HISTOGRAM_BUCKETS);
  private total = 0;
  private maxUs = 0;

  get count(): number {
    return this.total;
  }

  get max(): number {
    return this.maxUs;
  }

  record(valueUs: number): void {
    this.counts[bucketOf(valueUs)]! += 1;
    this.total++;
    if (valueUs > this.maxUs) this.maxUs = valueUs;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.maxUs = 0;
  }

  snapshot(): HistogramSnapshot {
    return { counts: this.counts.slice(), total: this.total, maxUs: this.maxUs };
  }

  merge(other: HistogramSnapshot): void {
    if (other.counts.length !== HISTOGRAM_BUCKETS) throw new RangeError(`histogram has ${other.counts.length} buckets, expected ${HISTOGRAM_BUCKETS}`);
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) this.counts[i]! += other.counts[i]!;
    this.total += other.total;
    if (other.maxUs > this.maxUs) this.maxUs = other.maxUs;
  }

  /**
   * The value at quantile q (0 < q <= 1): the middle of the bucket holding the ceil(q * n)-th smallest
   * value, never more than the recorded maximum (which is returned exactly for the largest rank).
   * undefined when nothing was recorded.
   */
  quantile(q: number): number | undefined {
    if (!(q > 0 && q <= 1)) throw new RangeError(`quantile must be in (0, 1], got ${q}`);
    if (this.total === 0) return undefined;
    const rank = Math.ceil(q * this.total);
    if (rank >= this.total) return this.maxUs; // the largest value is known exactly
    let seen = 0;
    for (let i = 0; i < HISTOGRAM_BUCKETS; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) {
        const { lowUs, widthUs } = bucketRange(i);
        return Math.min(widthUs === 1 ? lowUs : lowUs + widthUs / 2, this.maxUs);
      }
    }
    return this.maxUs;
  }
}
