// The connection's application event queue. Nothing a peer sends may grow memory without bound, so:
// 'stream-readable' and 'stream-writable' are level-triggered hints and one pending event per stream
// suffices (a second one before the first is polled says nothing new); received DATAGRAMs waiting in the
// queue are capped, and beyond the cap new ones are dropped (RFC 9221 §5: DATAGRAM delivery is unreliable).
// Every other event is bounded by the protocol itself (stream limits, connection ID limits, one per path
// change). The queue is an array with a moving head, so polling costs O(1) however long it gets.
import type { ConnectionEvent } from './api.js';

/** Entries consumed from the head before the array is compacted. */
const COMPACT_AFTER = 1024;

export class EventQueue {
  private items: ConnectionEvent[] = [];
  private head = 0;
  private readonly readablePending = new Set<number>();
  private readonly writablePending = new Set<number>();
  private datagramsPending = 0;
  /** Received DATAGRAMs dropped because the application did not poll them in time. */
  droppedDatagrams = 0;

  constructor(private readonly maxDatagrams: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  push(ev: ConnectionEvent): void {
    switch (ev.type) {
      case 'stream-readable':
        if (this.readablePending.has(ev.streamId)) return;
        this.readablePending.add(ev.streamId);
        break;
      case 'stream-writable':
        if (this.writablePending.has(ev.streamId)) return;
        this.writablePending.add(ev.streamId);
        break;
      case 'datagram':
        if (this.datagramsPending >= this.maxDatagrams) {
          this.droppedDatagrams++;
          return;
        }
        this.datagramsPending++;
        break;
      default:
        break;
    }
    this.items.push(ev);
  }

  shift(): ConnectionEvent | undefined {
    if (this.head >= this.items.length) return undefined;
    const ev = this.items[this.head]!;
    this.head++;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head >= COMPACT_AFTER) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    if (ev.type === 'stream-readable') this.readablePending.delete(ev.streamId);
    else if (ev.type === 'stream-writable') this.writablePending.delete(ev.streamId);
    else if (ev.type === 'datagram') this.datagramsPending--;
    return ev;
  }
}
