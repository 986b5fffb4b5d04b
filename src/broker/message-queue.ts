// A bounded FIFO with an overflow policy: the offline / pending queue of one session.

export type OverflowPolicy = 'drop_oldest' | 'drop_new';

export class BoundedQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(
    private readonly capacity: number,
    private readonly policy: OverflowPolicy,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an item; returns the item dropped to make room (or the new one itself), if any. */
  push(item: T): T | undefined {
    if (this.capacity <= 0) return item;
    let dropped: T | undefined;
    if (this.length >= this.capacity) {
      if (this.policy === 'drop_new') return item;
      dropped = this.shift();
    }
    this.items.push(item);
    return dropped;
  }

  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head]!;
    this.items[this.head] = undefined as unknown as T;
    this.head++;
    // Compact once the consumed prefix dominates, so the array does not grow without bound.
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }

  peek(): T | undefined {
    return this.head < this.items.length ? this.items[this.head] : undefined;
  }

  clear(): number {
    const n = this.length;
    this.items = [];
    this.head = 0;
    return n;
  }
}
