// MQTT reason codes. 5.0 uses one-byte Reason Codes in CONNACK, PUBACK, PUBREC, PUBREL, PUBCOMP,
// SUBACK, UNSUBACK, DISCONNECT and AUTH (MQTT 5.0 §2.4); 3.1/3.1.1 only have CONNACK return codes
// (MQTT 3.1.1 §3.2.2.3) and the SUBACK failure code 0x80 (MQTT 3.1.1 §3.9.3).

/** MQTT 5.0 §2.4, Table 2-6. */
export const ReasonCode = {
  Success: 0x00,
  NormalDisconnection: 0x00,
  GrantedQoS0: 0x00,
  GrantedQoS1: 0x01,
  GrantedQoS2: 0x02,
  DisconnectWithWillMessage: 0x04,
  NoMatchingSubscribers: 0x10,
  NoSubscriptionExisted: 0x11,
  ContinueAuthentication: 0x18,
  ReAuthenticate: 0x19,
  UnspecifiedError: 0x80,
  MalformedPacket: 0x81,
  ProtocolError: 0x82,
  ImplementationSpecificError: 0x83,
  UnsupportedProtocolVersion: 0x84,
  ClientIdentifierNotValid: 0x85,
  BadUserNameOrPassword: 0x86,
  NotAuthorized: 0x87,
  ServerUnavailable: 0x88,
  ServerBusy: 0x89,
  Banned: 0x8a,
  ServerShuttingDown: 0x8b,
  BadAuthenticationMethod: 0x8c,
  KeepAliveTimeout: 0x8d,
  SessionTakenOver: 0x8e,
  TopicFilterInvalid: 0x8f,
  TopicNameInvalid: 0x90,
  PacketIdentifierInUse: 0x91,
  PacketIdentifierNotFound: 0x92,
  ReceiveMaximumExceeded: 0x93,
  TopicAliasInvalid: 0x94,
  PacketTooLarge: 0x95,
  MessageRateTooHigh: 0x96,
  QuotaExceeded: 0x97,
  AdministrativeAction: 0x98,
  PayloadFormatInvalid: 0x99,
  RetainNotSupported: 0x9a,
  QoSNotSupported: 0x9b,
  UseAnotherServer: 0x9c,
  ServerMoved: 0x9d,
  SharedSubscriptionsNotSupported: 0x9e,
  ConnectionRateExceeded: 0x9f,
  MaximumConnectTime: 0xa0,
  SubscriptionIdentifiersNotSupported: 0xa1,
  WildcardSubscriptionsNotSupported: 0xa2,
} as const;
export type ReasonCodeValue = (typeof ReasonCode)[keyof typeof ReasonCode];

/** MQTT 3.1.1 §3.2.2.3, Table 3.1 (3.1 uses the same values). */
export const ConnackReturnCode = {
  Accepted: 0,
  UnacceptableProtocolVersion: 1,
  IdentifierRejected: 2,
  ServerUnavailable: 3,
  BadUserNameOrPassword: 4,
  NotAuthorized: 5,
} as const;
export type ConnackReturnCodeValue = (typeof ConnackReturnCode)[keyof typeof ConnackReturnCode];

/** MQTT 3.1.1 §3.9.3: the only failure code a 3.1.1 SUBACK can carry. */
export const SUBACK_FAILURE_V4 = 0x80;

const CONNACK_V5_TO_V4: ReadonlyMap<number, ConnackReturnCodeValue> = new Map<number, ConnackReturnCodeValue>([
  [ReasonCode.Success, ConnackReturnCode.Accepted],
  [ReasonCode.UnsupportedProtocolVersion, ConnackReturnCode.UnacceptableProtocolVersion],
  [ReasonCode.ClientIdentifierNotValid, ConnackReturnCode.IdentifierRejected],
  [ReasonCode.ServerUnavailable, ConnackReturnCode.ServerUnavailable],
  [ReasonCode.ServerBusy, ConnackReturnCode.ServerUnavailable],
  [ReasonCode.ServerShuttingDown, ConnackReturnCode.ServerUnavailable],
  [ReasonCode.BadUserNameOrPassword, ConnackReturnCode.BadUserNameOrPassword],
  [ReasonCode.NotAuthorized, ConnackReturnCode.NotAuthorized],
  [ReasonCode.Banned, ConnackReturnCode.NotAuthorized],
  [ReasonCode.BadAuthenticationMethod, ConnackReturnCode.NotAuthorized],
]);

/**
 * The 3.1.1 CONNACK return code for a 5.0 CONNACK reason code, or undefined when 3.1.1 has no
 * equivalent (the server then just closes the connection, MQTT 3.1.1 §3.2.2.3: "If none of the
 * return codes are deemed applicable, the Server MUST close the Network Connection").
 */
export function connackCodeForV4(reason: number): ConnackReturnCodeValue | undefined {
  return CONNACK_V5_TO_V4.get(reason);
}

/** Reason codes with the high bit set are failures (MQTT 5.0 §2.4). */
export function isFailure(reason: number): boolean {
  return reason >= 0x80;
}

/**
 * MQTT 5.0 §2.4 Table 2-6: each reason code's name as the specification spells it. One value can have
 * several names by packet (0x00 is Success, Normal disconnection and Granted QoS 0); the generic one is
 * kept, plus SUBACK's granted QoS values 0x01/0x02 (§3.9.3), which have no other meaning.
 */
const REASON_CODE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [ReasonCode.Success, 'Success'],
  [ReasonCode.GrantedQoS1, 'Granted QoS 1'],
  [ReasonCode.GrantedQoS2, 'Granted QoS 2'],
  [ReasonCode.DisconnectWithWillMessage, 'Disconnect with Will Message'],
  [ReasonCode.NoMatchingSubscribers, 'No matching subscribers'],
  [ReasonCode.NoSubscriptionExisted, 'No subscription existed'],
  [ReasonCode.ContinueAuthentication, 'Continue authentication'],
  [ReasonCode.ReAuthenticate, 'Re-authenticate'],
  [ReasonCode.UnspecifiedError, 'Unspecified error'],
  [ReasonCode.MalformedPacket, 'Malformed Packet'],
  [ReasonCode.ProtocolError, 'Protocol Error'],
  [ReasonCode.ImplementationSpecificError, 'Implementation specific error'],
  [ReasonCode.UnsupportedProtocolVersion, 'Unsupported Protocol Version'],
  [ReasonCode.ClientIdentifierNotValid, 'Client Identifier not valid'],
  [ReasonCode.BadUserNameOrPassword, 'Bad User Name or Password'],
  [ReasonCode.NotAuthorized, 'Not authorized'],
  [ReasonCode.ServerUnavailable, 'Server unavailable'],
  [ReasonCode.ServerBusy, 'Server busy'],
  [ReasonCode.Banned, 'Banned'],
  [ReasonCode.ServerShuttingDown, 'Server shutting down'],
  [ReasonCode.BadAuthenticationMethod, 'Bad authentication method'],
  [ReasonCode.KeepAliveTimeout, 'Keep Alive timeout'],
  [ReasonCode.SessionTakenOver, 'Session taken over'],
  [ReasonCode.TopicFilterInvalid, 'Topic Filter invalid'],
  [ReasonCode.TopicNameInvalid, 'Topic Name invalid'],
  [ReasonCode.PacketIdentifierInUse, 'Packet Identifier in use'],
  [ReasonCode.PacketIdentifierNotFound, 'Packet Identifier not found'],
  [ReasonCode.ReceiveMaximumExceeded, 'Receive Maximum exceeded'],
  [ReasonCode.TopicAliasInvalid, 'Topic Alias invalid'],
  [ReasonCode.PacketTooLarge, 'Packet too large'],
  [ReasonCode.MessageRateTooHigh, 'Message rate too high'],
  [ReasonCode.QuotaExceeded, 'Quota exceeded'],
  [ReasonCode.AdministrativeAction, 'Administrative action'],
  [ReasonCode.PayloadFormatInvalid, 'Payload format invalid'],
  [ReasonCode.RetainNotSupported, 'Retain not supported'],
  [ReasonCode.QoSNotSupported, 'QoS not supported'],
  [ReasonCode.UseAnotherServer, 'Use another server'],
  [ReasonCode.ServerMoved, 'Server moved'],
  [ReasonCode.SharedSubscriptionsNotSupported, 'Shared Subscriptions not supported'],
  [ReasonCode.ConnectionRateExceeded, 'Connection rate exceeded'],
  [ReasonCode.MaximumConnectTime, 'Maximum connect time'],
  [ReasonCode.SubscriptionIdentifiersNotSupported, 'Subscription Identifiers not supported'],
  [ReasonCode.WildcardSubscriptionsNotSupported, 'Wildcard Subscriptions not supported'],
]);

/** MQTT 3.1.1 §3.2.2.3 Table 3.1: the CONNACK return codes' names (MQTT 3.1 uses the same values). */
const CONNACK_RETURN_CODE_NAMES: ReadonlyMap<number, string> = new Map<number, string>([
  [ConnackReturnCode.Accepted, 'Connection Accepted'],
  [ConnackReturnCode.UnacceptableProtocolVersion, 'unacceptable protocol version'],
  [ConnackReturnCode.IdentifierRejected, 'identifier rejected'],
  [ConnackReturnCode.ServerUnavailable, 'Server unavailable'],
  [ConnackReturnCode.BadUserNameOrPassword, 'bad user name or password'],
  [ConnackReturnCode.NotAuthorized, 'not authorized'],
]);

/**
 * The spec capitalises only some words ("Bad User Name or Password"); messages read better in lower
 * case, but acronyms such as QoS stay intact.
 */
function lowerCaseWords(name: string): string {
  return name
    .split(' ')
    .map((w) => (/^[A-Z][a-z]+$/.test(w) || w === 'Re-authenticate' ? w.toLowerCase() : w))
    .join(' ');
}

/** Readable name of an MQTT 5 reason code, e.g. 0x87 -> "not authorized"; "unknown reason code" otherwise. */
export function reasonCodeName(code: number): string {
  const name = REASON_CODE_NAMES.get(code);
  return name === undefined ? 'unknown reason code' : lowerCaseWords(name);
}

/** "not authorized (0x87)". */
export function describeReasonCode(code: number): string {
  return `${reasonCodeName(code)} (0x${code.toString(16).padStart(2, '0')})`;
}

/** "not authorized (0x87)" for MQTT 5, "not authorized (return code 5)" for an MQTT 3.1/3.1.1 CONNACK. */
export function describeConnackCode(code: number, protocolVersion: 3 | 4 | 5): string {
  if (protocolVersion === 5) return describeReasonCode(code);
  const name = CONNACK_RETURN_CODE_NAMES.get(code);
  return `${name === undefined ? 'unknown return code' : lowerCaseWords(name)} (return code ${code})`;
}

/** A protocol violation found while handling a peer's packet, with the reason code the spec names. */
export class MqttProtocolError extends Error {
  override readonly name = 'MqttProtocolError';
  constructor(
    readonly code: ReasonCodeValue,
    message: string,
  ) {
    super(message);
  }
}
