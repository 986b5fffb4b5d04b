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
