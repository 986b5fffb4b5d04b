// MQTT 5.0 property rules the mqtt-packet decoder does not enforce. It decodes a property that appears
// more than once into an array instead of failing, so a value the broker expects to be a number (Receive
// Maximum, Topic Alias, ...) could silently become an array and poison every comparison made with it.
import type { Packet } from './codec.js';

/**
 * MQTT 5.0 §2.2.2.2 and each property's definition (e.g. §3.1.2.11.3 "It is a Protocol Error to include
 * the Receive Maximum value more than once"): only User Property may repeat in a packet a client sends.
 * (Subscription Identifier may repeat only in a PUBLISH the server sends, §3.3.2.3.8.)
 */
const REPEATABLE = 'userProperties';

/** The name of the first property that appears more than once in a received packet, or undefined. */
export function findRepeatedProperty(packet: Packet): string | undefined {
  const own = 'properties' in packet ? repeatedIn(packet.properties) : undefined;
  if (own !== undefined) return own;
  // MQTT 5.0 §3.1.3.2: the Will Properties of CONNECT follow the same rule.
  if (packet.cmd === 'connect' && packet.will) return repeatedIn(packet.will.properties);
  return undefined;
}

function repeatedIn(properties: object | undefined): string | undefined {
  if (properties === undefined) return undefined;
  // for..in rather than Object.entries: this runs for every 5.0 PUBLISH, so no per-packet arrays.
  const values = properties as Record<string, unknown>;
  for (const name in values) {
    if (name !== REPEATABLE && Array.isArray(values[name])) return name;
  }
  return undefined;
}
