// Thin helpers over the mqtt-packet codec: one decoder per connection, and an encoder for a version.
import mqttPacket from 'mqtt-packet';
import type { Packet } from 'mqtt-packet';
import { decodeFlowPacketV4, encodeAckFast, encodePublishFastV4 } from './fast-codec.js';

export type {
  Packet,
  IConnectPacket,
  IConnackPacket,
  IPublishPacket,
  IPubackPacket,
  IPubrecPacket,
  IPubrelPacket,
  IPubcompPacket,
  ISubscribePacket,
  ISubackPacket,
  IUnsubscribePacket,
  IUnsubackPacket,
  IDisconnectPacket,
  IAuthPacket,
  ISubscription,
  UserProperties,
  QoS,
} from 'mqtt-packet';

/** 3 = MQTT 3.1 ("MQIsdp"), 4 = 3.1.1, 5 = 5.0 (the protocol level byte, MQTT 5.0 §3.1.2.2). */
export type ProtocolVersion = 3 | 4 | 5;

export type DecodeResult = { ok: true; packet: Packet } | { ok: false; error: string };

/**
 * Decodes whole packets, one at a time. The caller frames the byte stream first (PacketFramer) so a
 * packet is only decoded once all its bytes are there and its size is within the limit; this keeps
 * mqtt-packet's own buffering bounded to one packet.
 */
export class PacketDecoder {
  private readonly parser = mqttPacket.parser({ protocolVersion: 4 });
  private decoded: Packet | undefined;
  private failure: string | undefined;
  private version: ProtocolVersion = 4;

  constructor() {
    this.parser.on('packet', (p: Packet) => {
      this.decoded = p;
    });
    this.parser.on('error', (e: unknown) => {
      this.failure = e instanceof Error ? e.message : String(e);
    });
  }

  /** Switches property parsing on or off once CONNECT has told which version the peer speaks. */
  setProtocolVersion(version: ProtocolVersion): void {
    this.version = version;
    (this.parser as unknown as { settings: { protocolVersion: number } }).settings.protocolVersion = version;
  }

  /** Decodes exactly one complete packet (fixed header included). */
  decode(frame: Buffer): DecodeResult {
    // PUBLISH and PUBACK of 3.1/3.1.1 are most of the traffic; mqtt-packet copies each one through its
    // buffer list (fast-codec.ts decodes only what it reads exactly as mqtt-packet does).
    if (this.version !== 5) {
      const fast = decodeFlowPacketV4(frame);
      if (fast) return { ok: true, packet: fast };
    }
    this.decoded = undefined;
    this.failure = undefined;
    try {
      this.parser.parse(frame);
    } catch (e) {
      // mqtt-packet can throw on some inputs (e.g. a property of the wrong type); a bad peer must not
      // escape the channel, so this is just another malformed packet.
      this.failure = e instanceof Error ? e.message : String(e);
    }
    if (this.failure !== undefined) return { ok: false, error: this.failure };
    if (this.decoded === undefined) return { ok: false, error: 'incomplete packet' };
    return { ok: true, packet: this.decoded };
  }
}

/** Encodes a packet for a peer of the given version; throws MqttEncodeError when it cannot. */
export function encodePacket(packet: Packet, version: ProtocolVersion): Buffer {
  // The message flow's packets are written by hand (fast-codec.ts); mqtt-packet does the rest.
  const fast = encodeAckFast(packet, version) ?? encodePublishFastV4(packet, version);
  if (fast) return fast;
  try {
    return mqttPacket.generate(packet, { protocolVersion: version });
  } catch (e) {
    throw new MqttEncodeError(packet.cmd, e instanceof Error ? e.message : String(e));
  }
}

export class MqttEncodeError extends Error {
  override readonly name = 'MqttEncodeError';
  readonly code = 'MQTT_ENCODE';
  constructor(
    readonly cmd: string,
    detail: string,
  ) {
    super(`cannot encode ${cmd}: ${detail}`);
  }
}
