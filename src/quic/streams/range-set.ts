// A set of non-negative integers stored as sorted, disjoint, non-adjacent half-open ranges
// [start, end). Used for stream offsets: acknowledged and lost byte ranges of a send buffer.
// Operations are O(log n) to locate plus O(k) for the ranges touched.

export interface Range {
  readonly start: number;
  readonly end: number;
}

export class RangeSet {
  // Parallel arrays keep the hot path free of per-range objects.
  private starts: number[] = [];
  private ends: number[] = [];

  get rangeCount(): number {
    return this.starts.length;
  }

  get isEmpty(): boolean {
    return this.starts.length === 0;
  }

  /** The lowest range, if any. */
  first(): Range | undefined {
    return this.starts.length === 0 ? undefined : { start: this.starts[0]!, end: this.ends[0]! };
  }

  ranges(): Range[] {
    return this.starts.map((start, i) => ({ start, end: this.ends[i]! }));
  }

  /** Index of the first range whose end is >= value (a range touching `value` may merge with it). */
  private firstEndingAtOrAfter(value: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! < value) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  add(start: number, end: number): void {
    if (end <= start) return;
    const i = this.firstEndingAtOrAfter(start);
    let j = i;
    let newStart = start;
    let newEnd = end;
    // Absorb every range that overlaps or touches [start, end).
    while (j < this.starts.length && this.starts[j]! <= end) {
      newStart = Math.min(newStart, this.starts[j]!);
      newEnd = Math.max(newEnd, this.ends[j]!);
      j++;
    }
    this.starts.splice(i, j - i, newStart);
    this.ends.splice(i, j - i, newEnd);
  }

  remove(start: number, end: number): void {
    if (end <= start) return;
    const i = this.firstEndingAtOrAfter(start + 1);
    const newStarts: number[] = [];
    const newEnds: number[] = [];
    let j = i;
    while (j < this.starts.length && this.starts[j]! < end) {
      const s = this.starts[j]!;
      const e = this.ends[j]!;
      if (s < start) {
        newStarts.push(s);
        newEnds.push(start);
      }
      if (e > end) {
        newStarts.push(end);
        newEnds.push(e);
      }
      j++;
    }
    if (j > i) {
      this.starts.splice(i, j - i, ...newStarts);
      this.ends.splice(i, j - i, ...newEnds);
    }
  }

  /** True when every integer of [start, end) is in the set. */
  containsRange(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.firstEndingAtOrAfter(start + 1);
    return i < this.starts.length && this.starts[i]! <= start && this.ends[i]! >= end;
  }

  /** Removes everything below `value`. */
  removeBelow(value: number): void {
    this.remove(0, value);
  }

  clear(): void {
    this.starts = [];
    this.ends = [];
  }
}
