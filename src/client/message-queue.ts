// A bounded queue behind one messages() async iterator. When it holds `capacity` items it reports "full";
// the client then withholds MQTT.js's packet-done callback, which stops reading from the connection
// (and delays the PUBACK/PUBREC), so a slow consumer slows the broker down instead of growing memory.

export class MessageQueue<T> implements AsyncIterableIterator<T> {
  private readonly items: T[] = [];
  private readonly waitingReaders: Array<{ resolve: (r: IteratorResult<T>) => void; reject: (e: unknown) => void }> = [];
  private roomWaiters: Array<() => void> = [];
  private closed = false;
  private failure: unknown = undefined;

  constructor(
    private readonly capacity: number,
    private readonly onReturn: (queue: MessageQueue<T>) => void,
  ) {}

  get size(): number {
    return this.items.length;
  }

  get full(): boolean {
    return !this.closed && this.items.length >= this.capacity;
  }

  /** Hands an item to a waiting reader or buffers it; ignored once closed. */
  push(item: T): void {
    if (this.closed) return;
    const reader = this.waitingReaders.shift();
    if (reader) reader.resolve({ value: item, done: false });
    else this.items.push(item);
  }

  /** Resolves once the queue is below capacity (or closed). */
  waitForRoom(): Promise<void> {
    if (!this.full) return Promise.resolve();
    return new Promise((resolve) => this.roomWaiters.push(resolve));
  }

  /** Ends iteration: buffered items are still delivered, then `done` (or the error, if given). */
  close(error?: unknown): void {
    if (this.closed) return;
    this.closed = true;
    this.failure = error;
    this.wakeRoomWaiters();
    const readers = this.waitingReaders.splice(0);
    // Readers waiting now have nothing buffered: they get the failure, and it is then reported.
    if (readers.length > 0) this.failure = undefined;
    for (const reader of readers) {
      if (error === undefined) reader.resolve({ value: undefined, done: true });
      else reader.reject(error);
    }
  }

  next(): Promise<IteratorResult<T>> {
    if (this.items.length > 0) {
      const value = this.items.shift() as T;
      if (!this.full) this.wakeRoomWaiters();
      return Promise.resolve({ value, done: false });
    }
    if (this.closed) {
      if (this.failure !== undefined) {
        const error = this.failure;
        this.failure = undefined; // report a failure once, then behave as finished
        return Promise.reject(error);
      }
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => this.waitingReaders.push({ resolve, reject }));
  }

  /** Called by `break` in for-await: stop buffering for this consumer. */
  return(): Promise<IteratorResult<T>> {
    this.items.length = 0;
    this.close();
    this.onReturn(this);
    return Promise.resolve({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<T> {
    return this;
  }

  private wakeRoomWaiters(): void {
    const waiters = this.roomWaiters;
    this.roomWaiters = [];
    for (const wake of waiters) wake();
  }
}
