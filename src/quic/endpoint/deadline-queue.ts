// The earliest timer among many connections, for one endpoint timer (DESIGN.md: a single timer per
// endpoint). A binary min-heap with lazy deletion: rescheduling pushes a new entry and stale ones are
// skipped when they reach the top; the heap is rebuilt when stale entries outnumber live ones, so its
// size stays within a constant factor of the number of items.

interface HeapEntry<T> {
  at: number;
  item: T;
  generation: number;
}

export class DeadlineQueue<T> {
  private heap: HeapEntry<T>[] = [];
  private readonly current = new Map<T, { at: number; generation: number }>();
  private generation = 0;

  get size(): number {
    return this.current.size;
  }

  /** Sets (or with undefined clears) the deadline of `item`. */
  set(item: T, at: number | undefined): void {
    const existing = this.current.get(item);
    if (at === undefined) {
      if (existing !== undefined) this.current.delete(item);
      this.compactIfStale();
      return;
    }
    if (existing !== undefined && existing.at === at) return;
    const generation = ++this.generation;
    this.current.set(item, { at, generation });
    this.push({ at, item, generation });
    this.compactIfStale();
  }

  delete(item: T): void {
    this.set(item, undefined);
  }

  /** The earliest live deadline. */
  peek(): number | undefined {
    this.dropStale();
    return this.heap[0]?.at;
  }

  /** Removes and returns every item whose deadline is at or before `now`, earliest first. */
  popDue(now: number): T[] {
    const due: T[] = [];
    for (;;) {
      this.dropStale();
      const top = this.heap[0];
      if (top === undefined || top.at > now) return due;
      this.pop();
      this.current.delete(top.item);
      due.push(top.item);
    }
  }

  private isLive(e: HeapEntry<T>): boolean {
    return this.current.get(e.item)?.generation === e.generation;
  }

  private dropStale(): void {
    while (this.heap.length > 0 && !this.isLive(this.heap[0]!)) this.pop();
  }

  private compactIfStale(): void {
    if (this.heap.length <= 2 * this.current.size + 16) return;
    this.heap = this.heap.filter((e) => this.isLive(e));
    for (let i = (this.heap.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private push(e: HeapEntry<T>): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (h[parent]!.at <= h[i]!.at) break;
      [h[parent], h[i]] = [h[i]!, h[parent]!];
      i = parent;
    }
  }

  private pop(): void {
    const h = this.heap;
    const last = h.pop()!;
    if (h.length === 0) return;
    h[0] = last;
    this.siftDown(0);
  }

  private siftDown(start: number): void {
    const h = this.heap;
    let i = start;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < h.length && h[l]!.at < h[m]!.at) m = l;
      if (r < h.length && h[r]!.at < h[m]!.at) m = r;
      if (m === i) return;
      [h[m], h[i]] = [h[i]!, h[m]!];
      i = m;
    }
  }
}
