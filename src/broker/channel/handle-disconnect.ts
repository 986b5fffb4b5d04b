// DISCONNECT from a client (MQTT 5.0 §3.14; MQTT 3.1.1 §3.14).
import type { IDisconnectPacket } from '../../mqtt/codec.js';
import { ReasonCode } from '../../mqtt/reason-codes.js';
import type { Channel } from './channel.js';

export function handleDisconnect(ch: Channel, packet: IDisconnectPacket): void {
  const session = ch.session!;
  const code = packet.reasonCode ?? ReasonCode.NormalDisconnection;
  if (ch.isV5) {
    const requested = packet.properties?.sessionExpiryInterval;
    if (requested !== undefined) {
      // MQTT 5.0 §3.14.2.2.2 [MQTT-3.14.2-2]: an expiry set on DISCONNECT when CONNECT had 0 is a
      // Protocol Error. What counts is the value the client sent, not the one the broker capped it to.
      if (ch.connectSessionExpiry === 0 && requested !== 0) {
        return ch.protocolViolation(ReasonCode.ProtocolError, 'session expiry set on DISCONNECT after 0 in CONNECT');
      }
      session.expiryMs = Math.min(requested === 0xffffffff ? Infinity : requested * 1000, ch.ctx.config.mqtt.session_expiry_interval);
    }
  }
  // MQTT 5.0 §3.1.2.5 [MQTT-3.1.2-10]: DISCONNECT 0x00 deletes the will; 0x04 (and any other code)
  // publishes it. 3.1.1 DISCONNECT always deletes it (MQTT 3.1.1 §3.14.4).
  const publishWill = ch.isV5 && code !== ReasonCode.NormalDisconnection;
  ch.close({ reason: `client DISCONNECT 0x${code.toString(16).padStart(2, '0')}`, publishWill });
}
