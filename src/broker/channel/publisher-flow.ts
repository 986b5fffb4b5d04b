// Backpressure from subscribers to publishers: the publisher's side.
//
// Design (also in docs/benchmarks.md, "Flow control"): a session whose queue of messages for its
// connected client climbs to its high-water mark holds the source of every message it queues from then
// on (Session.enqueue). A held channel stops reading its transport after the packet in hand (its PUBACK
// is sent: the message was accepted and queued), so its client is slowed by the transport's own flow
// control (TCP window, QUIC stream credit) instead of the broker dropping messages. When the session's
// queue drains to its low-water mark it releases every source it holds; a channel reads again once no
// session holds it. This is what aedes and EMQX do in effect, and it keeps QoS 1 lossless under a
// sustained flood towards a slow subscriber.
//
// A dead or stuck subscriber must not stall its publishers for ever, and two clients that publish to
// each other while neither reads can hold each other (each one's acknowledgements are behind the other's
// paused input): a hold lasts at most maxHoldMs. Then the source lets go of its holders, and each of those
// sessions stops holding anyone until its queue has drained to the low-water mark; meanwhile the queue's
// overflow policy (max_mqueue_len, drop oldest or drop new) bounds its memory as before.
import type { MessageSource, SourceHolder } from '../message.js';

/** Longest time one channel stays held by full destination queues before they stop holding it. */
export const DEFAULT_MAX_HOLD_MS = 2000;

export class PublisherFlow implements MessageSource {
  /** Made on the first hold: most connections are never held, and idle ones should stay small. */
  private holders: Set<SourceHolder> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private onChange: ((held: boolean) => void) | undefined;

  /** @param onChange called with true when the first holder arrives, false when the last one leaves. */
  constructor(
    onChange: (held: boolean) => void,
    private readonly maxHoldMs = DEFAULT_MAX_HOLD_MS,
  ) {
    this.onChange = onChange;
  }

  get held(): boolean {
    return this.holderCount > 0;
  }

  /** Number of sessions holding this source. */
  get holderCount(): number {
    return this.holders?.size ?? 0;
  }

  hold(holder: SourceHolder): void {
    if (!this.onChange) return;
    this.holders ??= new Set();
    if (this.holders.has(holder)) return;
    this.holders.add(holder);
    if (this.holders.size > 1) return;
    this.timer = setTimeout(() => this.expire(), this.maxHoldMs);
    this.timer.unref();
    this.onChange(true);
  }

  release(holder: SourceHolder): void {
    if (!this.holders?.delete(holder) || this.holders.size > 0) return;
    this.clearTimer();
    this.onChange?.(false);
  }

  /** The channel is gone: forget every holder (they drop this source without further effect). */
  dispose(): void {
    this.clearTimer();
    for (const h of this.holders ?? []) h.dropSource(this, false);
    this.holders = undefined;
    this.onChange = undefined;
  }

  private expire(): void {
    this.timer = undefined;
    for (const h of this.holders ?? []) h.dropSource(this, true);
    this.holders?.clear();
    this.onChange?.(false);
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
