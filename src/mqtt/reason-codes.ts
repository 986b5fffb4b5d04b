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
