// A set of non-negative integers stored as sorted, disjoint, non-adjacent half-open ranges
// [start, end). Used for stream offsets: acknowledged and lost byte ranges of a send buffer, received
// ranges of a receive buffer. Operations are O(log n) to locate plus O(k) for the ranges touched.
//
// Memory: an idle connection holds several of these (one per CRYPTO stream and direction), almost all
// empty, so the storage is one flat array [start0, end0, start1, end1, ...] that exists only while the
// set is non-empty: an empty set is one small object with no backing store.

export interface Range {
  readonly start: number;
  readonly end: number;
}

export class RangeSet {
  /** Flat bounds, ascending: bounds[2i] is the start of range i, bounds[2i + 1] its end. Null when empty. */
  private bounds: number[] | null = null;

  get rangeCount(): number {
    return this.bounds === null ? 0 : this.bounds.length >> 1;
  }

  get isEmpty(): boolean {
    return this.bounds === null;
  }

  /** The lowest range, if any. */
  first(): Range | undefined {
    const b = this.bounds;
    return b === null ? undefined : { start: b[0]!, end: b[1]! };
  }

  /**
   * For a contiguous prefix [0, prefix) kept outside the set (an acknowledged or received prefix): takes
   * out the leading ranges that now touch or overlap it and returns the prefix grown over them.
   */
  extendPrefix(prefix: number): number {
    const b = this.bounds;
    if (b === null) return prefix;
    let i = 0;
    for (; 2 * i < b.length && b[2 * i]! <= prefix; i++) prefix = Math.max(prefix, b[2 * i + 1]!);
    if (i > 0) {
      b.splice(0, 2 * i);
      // An empty set lets go of its storage (see the header).
      if (b.length === 0) this.bounds = null;
    }
    return prefix;
  }

  ranges(): Range[] {
    const b = this.bounds;
    const out: Range[] = [];
    if (b !== null) for (let i = 0; i < b.length; i += 2) out.push({ start: b[i]!, end: b[i + 1]! });
    return out;
  }

  /** Index (in ranges) of the first range whose end is >= value (a range touching `value` may merge with it). */
  private firstEndingAtOrAfter(b: number[], value: number): number {
    let lo = 0;
    let hi = b.length >> 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (b[2 * mid + 1]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    const b = this.bounds;
    if (b === null) {
      this.bounds = [start, end];
      return;
    }
    const n = b.length >> 1;
    const i = this.firstEndingAtOrAfter(b, start);
    let j = i;
    let newStart = start;
    let newEnd = end;
    // Absorb every range that overlaps or touches [start, end).
    while (j < n && b[2 * j]! <= end) {
      newStart = Math.min(newStart, b[2 * j]!);
      newEnd = Math.max(newEnd, b[2 * j + 1]!);
      j++;
    }
    if (j === i + 1) {
      // Replaces exactly one range (the common case: extending the range at the edge): no splice.
      b[2 * i] = newStart;
      b[2 * i + 1] = newEnd;
    } else {
      b.splice(2 * i, 2 * (j - i), newStart, newEnd);
    }
  }

  remove(start: number, end: number): void {
    const b = this.bounds;
    if (end <= start || b === null) return;
    const n = b.length >> 1;
    const i = this.firstEndingAtOrAfter(b, start + 1);
    const kept: number[] = [];
    let j = i;
    while (j < n && b[2 * j]! < end) {
      const s = b[2 * j]!;
      const e = b[2 * j + 1]!;
      if (s < start) kept.push(s, start);
      if (e > end) kept.push(end, e);
      j++;
    }
    if (j === i) return;
    b.splice(2 * i, 2 * (j - i), ...kept);
    // An empty set lets go of its storage (see the header).
    if (b.length === 0) this.bounds = null;
  }

  /** True when every integer of [start, end) is in the set. */
  containsRange(start: number, end: number): boolean {
    if (end <= start) return true;
    const b = this.bounds;
    if (b === null) return false;
    const i = this.firstEndingAtOrAfter(b, start + 1);
    return i < b.length >> 1 && b[2 * i]! <= start && b[2 * i + 1]! >= end;
  }

  /** Removes everything below `value`. */
  removeBelow(value: number): void {
    this.remove(0, value);
  }

  clear(): void {
    this.bounds = null;
  }
}
