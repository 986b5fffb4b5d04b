// Retained messages (MQTT 5.0 §3.3.1.3): one per topic, replaced by a newer one, deleted by an empty
// payload, dropped when expired.
import { hasWildcard, topicMatchesFilter } from '../mqtt/topic.js';
import { isExpired, type Message } from './message.js';

export type RetainResult = 'stored' | 'replaced' | 'deleted' | 'full';

export class RetainedStore {
  private readonly messages = new Map<string, Message>();
  private userCount = 0;
  private userBytes = 0;

  /**
   * @param maxMessages retained messages kept at most, $SYS excluded (0 = unlimited).
   * @param maxBytes total payload bytes kept at most, $SYS excluded (0 = unlimited): the count alone
   *   does not bound memory when each payload may be as large as max_packet_size.
   */
  constructor(
    private readonly maxMessages: number,
    private readonly maxBytes = 0,
  ) {}

  /** Retained messages on client topics ($SYS topics, kept by the broker itself, not counted). */
  get count(): number {
    return this.userCount;
  }

  /** Payload bytes of the retained messages on client topics. */
  get bytes(): number {
    return this.userBytes;
  }

  /**
   * Stores, replaces or deletes the retained message of a topic. With `now`, a message already expired
   * (Message Expiry Interval 0, MQTT 5.0 §3.3.2.3.3) replaces the stored one and is itself not kept.
   */
  set(message: Message, now?: number): RetainResult {
    const sys = message.topic.startsWith('$SYS/');
    const existing = this.messages.get(message.topic);
    // MQTT 5.0 §3.3.1.3 [MQTT-3.3.1-6]: a zero-byte retained payload removes the retained message.
    if (message.payload.length === 0 || (now !== undefined && isExpired(message, now))) {
      this.delete(message.topic);
      return 'deleted';
    }
    if (!sys) {
      if (!existing && this.maxMessages > 0 && this.userCount >= this.maxMessages) return 'full';
      const bytes = this.userBytes - (existing?.payload.length ?? 0) + message.payload.length;
      if (this.maxBytes > 0 && bytes > this.maxBytes) {
        // The publisher replaced the value: the old one is stale, so it is not served either.
        this.delete(message.topic);
        return 'full';
      }
      this.userBytes = bytes;
      if (!existing) this.userCount++;
    }
    this.messages.set(message.topic, { ...message, payload: ownedCopy(message.payload), retain: true });
    return existing ? 'replaced' : 'stored';
  }

  get(topic: string, now: number): Message | undefined {
    const m = this.messages.get(topic);
    if (m && isExpired(m, now)) {
      this.delete(topic);
      return undefined;
    }
    return m;
  }

  /**
   * Retained messages matching a filter, expired ones removed on the way. A filter without wildcards
   * names one topic (MQTT 5.0 §4.7): a direct lookup. With wildcards, a linear scan: an index keyed by
   * filter levels is the next step if retained sets grow large.
   */
  match(filter: string, now: number): Message[] {
    if (!hasWildcard(filter)) {
      const m = this.get(filter, now);
      return m ? [m] : [];
    }
    const out: Message[] = [];
    for (const [topic, m] of this.messages) {
      if (!topicMatchesFilter(topic, filter)) continue;
      if (isExpired(m, now)) {
        this.delete(topic);
        continue;
      }
      out.push(m);
    }
    return out;
  }

  /** Drops expired messages (called periodically so expired retained messages free their memory). */
  sweep(now: number): void {
    for (const [topic, m] of this.messages) if (isExpired(m, now)) this.delete(topic);
  }

  private delete(topic: string): void {
    const m = this.messages.get(topic);
    if (!m) return;
    this.messages.delete(topic);
    if (!topic.startsWith('$SYS/')) {
      this.userCount--;
      this.userBytes -= m.payload.length;
    }
  }
}

/**
 * The payload in memory of its own. A decoded payload is a view into the socket chunk it arrived in
 * (up to 64 KB, shared with other packets); a retained message can live for days, so keeping the view
 * would pin the whole chunk. allocUnsafeSlow: a pooled Buffer would pin an 8 KB pool slab instead.
 */
function ownedCopy(payload: Buffer): Buffer {
  if (payload.byteOffset === 0 && payload.buffer.byteLength === payload.length) return payload;
  const copy = Buffer.allocUnsafeSlow(payload.length);
  payload.copy(copy);
  return copy;
}
