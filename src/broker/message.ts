// The broker's view of an application message and of one delivery of it to one session.
import type { QoS, UserProperties } from '../mqtt/codec.js';

/** PUBLISH properties that travel with the message unchanged (MQTT 5.0 §3.3.2.3). */
export interface ForwardedProperties {
  payloadFormatIndicator?: boolean;
  contentType?: string;
  responseTopic?: string;
  correlationData?: Buffer;
  userProperties?: UserProperties;
}

/** The forwarded properties out of a PUBLISH or will property set, without the per-hop ones. */
export function pickForwardedProperties(p: ForwardedProperties): ForwardedProperties {
  const out: ForwardedProperties = {};
  if (p.payloadFormatIndicator !== undefined) out.payloadFormatIndicator = p.payloadFormatIndicator;
  if (p.contentType !== undefined) out.contentType = p.contentType;
  if (p.responseTopic !== undefined) out.responseTopic = p.responseTopic;
  if (p.correlationData !== undefined) out.correlationData = p.correlationData;
  if (p.userProperties !== undefined) out.userProperties = p.userProperties;
  return out;
}

export interface Message {
  topic: string;
  payload: Buffer;
  qos: QoS;
  retain: boolean;
  properties: ForwardedProperties;
  /** Absolute time (ms) after which the message must not be delivered (MQTT 5.0 §3.3.2.3.3). */
  expiresAt?: number;
  /** Client id of the publisher, for No Local (MQTT 5.0 §3.8.3.1); undefined for $SYS and the broker. */
  publisher?: string;
  /** The connection it came from, for backpressure (channel/publisher-flow.ts); none for $SYS and wills. */
  source?: MessageSource;
  /**
   * The last PUBLISH encoding made for this message, reused for every subscriber that gets the same
   * bytes (channel/publish-encoding.ts); filled lazily by the channels, never by the router.
   */
  encoded?: EncodedPublish;
}

/** A PUBLISH encoding shared between subscribers: `key` says for whom the bytes are valid. */
export interface EncodedPublish {
  key: number;
  bytes: Buffer;
  /** Offset of the Packet Identifier in bytes (QoS 1/2), patched per subscriber; -1 for QoS 0. */
  packetIdOffset: number;
}

/**
 * A producer of messages that a full destination can slow down (the publishing channel). A holder
 * holds a source at most once and releases it once; see channel/publisher-flow.ts for the design.
 */
export interface MessageSource {
  hold(holder: SourceHolder): void;
  release(holder: SourceHolder): void;
}

/** What holds sources: a session whose queue is above its high-water mark. */
export interface SourceHolder {
  /**
   * The source lets go by itself (its channel closed, or the hold lasted too long); suspend: stop
   * holding any source until the queue has drained.
   */
  dropSource(source: MessageSource, suspend: boolean): void;
}

/** One message on its way to one session, with the options of the subscription(s) that matched. */
export interface Delivery {
  message: Message;
  /** min(message QoS, subscription QoS) (MQTT 5.0 §3.8.4). */
  qos: QoS;
  retain: boolean;
  /** Subscription Identifiers of every matching subscription (MQTT 5.0 §3.3.4). */
  subscriptionIds: number[];
}

/** Seconds left before the message expires, or undefined when it never does; <= 0 means expired. */
export function remainingExpirySeconds(message: Message, now: number): number | undefined {
  if (message.expiresAt === undefined) return undefined;
  // MQTT 5.0 §3.3.2.3.3: the value forwarded is the received value minus the time spent waiting.
  return Math.ceil((message.expiresAt - now) / 1000);
}

export function isExpired(message: Message, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now;
}
