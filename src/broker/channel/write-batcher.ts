// Coalesces the packets a channel writes during one event-loop turn into one transport write.
//
// Why: under load a channel writes one small packet per PUBLISH it forwards and per PUBACK it sends;
// one `stream.write()` per packet (one system call on TCP, one write request on TLS) was half of the
// broker's CPU time. Packets written in the same turn are collected and written as one buffer from a
// setImmediate callback, after the poll phase has handed the broker every socket that became readable,
// so a subscriber fed by ten publishers gets one write per turn instead of one per message.
//
// Order: bytes leave in the order they were queued (one FIFO, one writer).
// Backpressure: nothing changes for the caller. The batch is written at once (not at the end of the
// turn) as soon as it would take the transport over its high-water mark, or reaches maxBatchBytes,
// and the result of that write() is the congestion signal: once write() returns false the batcher
// reports congested until the transport emits 'drain', exactly as a direct write() would.
import type { Writable } from 'node:stream';

/** Largest batch held back for the end of the turn; larger batches are written at once. */
export const DEFAULT_MAX_BATCH_BYTES = 64 * 1024;

export class WriteBatcher {
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private scheduled = false;
  private congested = false;
  private readonly flushSoon = (): void => {
    this.scheduled = false;
    this.flush();
  };

  constructor(
    private readonly stream: Writable,
    private readonly maxBatchBytes = DEFAULT_MAX_BATCH_BYTES,
  ) {}

  /** True from a write() that returned false until the transport's 'drain' (see onDrain). */
  get isCongested(): boolean {
    return this.congested;
  }

  /** Bytes queued and not yet handed to the transport. */
  get queuedBytes(): number {
    return this.pendingBytes;
  }

  /**
   * Queues bytes behind everything queued before; returns false once the transport is congested
   * (the caller must then stop producing until 'drain', as with Writable.write).
   */
  write(bytes: Buffer): boolean {
    if (bytes.length === 0) return !this.congested;
    this.pending.push(bytes);
    this.pendingBytes += bytes.length;
    if (this.pendingBytes >= this.maxBatchBytes || this.stream.writableLength + this.pendingBytes >= this.stream.writableHighWaterMark) {
      this.flush();
    } else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(this.flushSoon);
    }
    return !this.congested;
  }

  /** Hands everything queued to the transport now (before end(), and from the end-of-turn callback). */
  flush(): void {
    if (this.pendingBytes === 0) return;
    const batch = this.pending.length === 1 ? this.pending[0]! : Buffer.concat(this.pending, this.pendingBytes);
    this.pending = [];
    this.pendingBytes = 0;
    // A transport already closed by the peer or by an error takes nothing more; the channel is closing.
    if (this.stream.destroyed || this.stream.writableEnded) return;
    if (!this.stream.write(batch)) this.congested = true;
  }

  /** The transport emitted 'drain': its buffer is below the high-water mark again. */
  onDrain(): void {
    this.congested = false;
  }

  /** Drops what is queued (the transport is gone). */
  discard(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }
}
