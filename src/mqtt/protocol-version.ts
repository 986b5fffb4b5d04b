// Which protocol a CONNECT asks for, read from its raw bytes (MQTT 5.0 §3.1.2.1-2), so an unsupported
// version can be refused with the right CONNACK before the full packet is decoded.
import type { ProtocolVersion } from './codec.js';

export interface ConnectProtocol {
  name: string;
  level: number;
}

/** Protocol Name and Level from a complete CONNECT frame, or undefined if the frame is too short. */
export function readConnectProtocol(frame: Buffer): ConnectProtocol | undefined {
  let pos = 1;
  // Skip the Remaining Length (MQTT 5.0 §1.5.5, at most four bytes; the framer validated it).
  while (pos < frame.length && pos <= 4 && (frame[pos]! & 0x80) !== 0) pos++;
  pos++;
  if (pos + 2 > frame.length) return undefined;
  const nameLen = frame.readUInt16BE(pos);
  pos += 2;
  if (pos + nameLen + 1 > frame.length) return undefined;
  const name = frame.toString('utf8', pos, pos + nameLen);
  // Bridges set the top bit of the level (a widespread extension); the version is the low bits.
  const level = frame[pos + nameLen]! & 0x7f;
  return { name, level };
}

/**
 * MQTT 3.1 is "MQIsdp" level 3; 3.1.1 is "MQTT" level 4 (MQTT 3.1.1 §3.1.2.1-2); 5.0 is "MQTT" level 5
 * (MQTT 5.0 §3.1.2.1-2). Anything else is unsupported.
 */
export function supportedVersion(p: ConnectProtocol): ProtocolVersion | undefined {
  if (p.name === 'MQIsdp' && p.level === 3) return 3;
  if (p.name === 'MQTT' && (p.level === 4 || p.level === 5)) return p.level;
  return undefined;
}
