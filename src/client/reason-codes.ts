// Names of MQTT reason codes, as the specifications spell them, for readable errors.
// (src/mqtt/ has the reason-code values; the names live here until it has them too.)

/** MQTT 5.0 §2.4 Table 2-6 (reason codes); SUBACK's granted QoS values 0x01/0x02 (§3.9.3) included. */
const MQTT5_REASON_NAMES: ReadonlyMap<number, string> = new Map([
  [0x00, 'Success'],
  [0x01, 'Granted QoS 1'],
  [0x02, 'Granted QoS 2'],
  [0x04, 'Disconnect with Will Message'],
  [0x10, 'No matching subscribers'],
  [0x11, 'No subscription existed'],
  [0x18, 'Continue authentication'],
  [0x19, 'Re-authenticate'],
  [0x80, 'Unspecified error'],
  [0x81, 'Malformed Packet'],
  [0x82, 'Protocol Error'],
  [0x83, 'Implementation specific error'],
  [0x84, 'Unsupported Protocol Version'],
  [0x85, 'Client Identifier not valid'],
  [0x86, 'Bad User Name or Password'],
  [0x87, 'Not authorized'],
  [0x88, 'Server unavailable'],
  [0x89, 'Server busy'],
  [0x8a, 'Banned'],
  [0x8b, 'Server shutting down'],
  [0x8c, 'Bad authentication method'],
  [0x8d, 'Keep Alive timeout'],
  [0x8e, 'Session taken over'],
  [0x8f, 'Topic Filter invalid'],
  [0x90, 'Topic Name invalid'],
  [0x91, 'Packet Identifier in use'],
  [0x92, 'Packet Identifier not found'],
  [0x93, 'Receive Maximum exceeded'],
  [0x94, 'Topic Alias invalid'],
  [0x95, 'Packet too large'],
  [0x96, 'Message rate too high'],
  [0x97, 'Quota exceeded'],
  [0x98, 'Administrative action'],
  [0x99, 'Payload format invalid'],
  [0x9a, 'Retain not supported'],
  [0x9b, 'QoS not supported'],
  [0x9c, 'Use another server'],
  [0x9d, 'Server moved'],
  [0x9e, 'Shared Subscriptions not supported'],
  [0x9f, 'Connection rate exceeded'],
  [0xa0, 'Maximum connect time'],
  [0xa1, 'Subscription Identifiers not supported'],
  [0xa2, 'Wildcard Subscriptions not supported'],
]);

/** MQTT 3.1.1 §3.2.2.3 Table 3.1 (CONNACK return codes; MQTT 3.1 uses the same values). */
const MQTT311_CONNACK_NAMES: ReadonlyMap<number, string> = new Map([
  [0, 'Connection Accepted'],
  [1, 'unacceptable protocol version'],
  [2, 'identifier rejected'],
  [3, 'Server unavailable'],
  [4, 'bad user name or password'],
  [5, 'not authorized'],
]);

function lowerCaseWords(name: string): string {
  // Spec names capitalise only some words ("Bad User Name or Password"); messages read better in lower case,
  // but acronyms such as QoS stay intact.
  return name
    .split(' ')
    .map((w) => (/^[A-Z][a-z]+$/.test(w) || w === 'Re-authenticate' ? w.toLowerCase() : w))
    .join(' ');
}

/** Readable name of an MQTT 5 reason code, e.g. 0x87 -> "not authorized". */
export function reasonCodeName(code: number): string {
  const name = MQTT5_REASON_NAMES.get(code);
  return name === undefined ? 'unknown reason code' : lowerCaseWords(name);
}

/** "not authorized (0x87)" for MQTT 5, "not authorized (return code 5)" for MQTT 3.1/3.1.1 CONNACK. */
export function describeConnackCode(code: number, protocolVersion: 3 | 4 | 5): string {
  if (protocolVersion === 5) return describeReasonCode(code);
  const name = MQTT311_CONNACK_NAMES.get(code);
  return `${name === undefined ? 'unknown return code' : lowerCaseWords(name)} (return code ${code})`;
}

/** "not authorized (0x87)". */
export function describeReasonCode(code: number): string {
  return `${reasonCodeName(code)} (0x${code.toString(16).padStart(2, '0')})`;
}

/** MQTT 5.0 §2.4: a reason code of 0x80 or greater indicates failure. */
export function isFailureReasonCode(code: number): boolean {
  return code >= 0x80;
}
