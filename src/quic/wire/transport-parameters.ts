// QUIC transport parameters (RFC 9000 §18, max_datagram_frame_size from RFC 9221 §3): the
// quic_transport_parameters TLS extension body, encode and decode with role-aware validation.
// Every malformed or invalid value is a TRANSPORT_PARAMETER_ERROR (RFC 9000 §7.4).
import { BufferReader, BufferWriter } from './buffer.js';
import { QuicError, TransportErrorCode } from './errors.js';
import { MAX_STREAM_COUNT, STATELESS_RESET_TOKEN_LENGTH } from './frame-types.js';
import { MAX_CONNECTION_ID_LENGTH } from './header.js';
import { VARINT_MAX_SAFE } from './varint.js';

export type EndpointRole = 'client' | 'server';

/** RFC 9000 §18.2 Table 6 and RFC 9221 §3. */
export const TransportParameterId = {
  original_destination_connection_id: 0x00,
  max_idle_timeout: 0x01,
  stateless_reset_token: 0x02,
  max_udp_payload_size: 0x03,
  initial_max_data: 0x04,
  initial_max_stream_data_bidi_local: 0x05,
  initial_max_stream_data_bidi_remote: 0x06,
  initial_max_stream_data_uni: 0x07,
  initial_max_streams_bidi: 0x08,
  initial_max_streams_uni: 0x09,
  ack_delay_exponent: 0x0a,
  max_ack_delay: 0x0b,
  disable_active_migration: 0x0c,
  preferred_address: 0x0d,
  active_connection_id_limit: 0x0e,
  initial_source_connection_id: 0x0f,
  retry_source_connection_id: 0x10,
  max_datagram_frame_size: 0x20,
  /**
   * draft-banks-quic-disable-encryption: zero-length; sent by both endpoints, 1-RTT packets go without
   * packet protection. The id is the one msquic (what EMQX uses) sends.
   */
  disable_1rtt_encryption: 0xbaad,
} as const;

/** RFC 9000 §18.2: the smallest allowed max_udp_payload_size. */
export const MIN_MAX_UDP_PAYLOAD_SIZE = 1200;
/** RFC 9000 §18.2: the largest UDP payload (and the default for max_udp_payload_size). */
export const MAX_UDP_PAYLOAD_SIZE = 65527;
/** RFC 9000 §18.2: ack_delay_exponent values above 20 are invalid. */
export const MAX_ACK_DELAY_EXPONENT = 20;
/** RFC 9000 §18.2: max_ack_delay values of 2^14 or more are invalid. */
export const MAX_ACK_DELAY_LIMIT = 2 ** 14;
/** RFC 9000 §18.2: the smallest allowed active_connection_id_limit. */
export const MIN_ACTIVE_CONNECTION_ID_LIMIT = 2;

/** RFC 9000 §18.2 preferred_address. */
export interface PreferredAddress {
  /** 4 bytes; all zero with port 0 when no IPv4 address is offered. */
  ipv4Address: Uint8Array;
  ipv4Port: number;
  /** 16 bytes; all zero with port 0 when no IPv6 address is offered. */
  ipv6Address: Uint8Array;
  ipv6Port: number;
  connectionId: Uint8Array;
  statelessResetToken: Uint8Array;
}

/** All transport parameters, with defaults applied (RFC 9000 §18.2). Durations are milliseconds. */
export interface TransportParameters {
  /** Server only. */
  originalDestinationConnectionId?: Uint8Array;
  /** Milliseconds; 0 disables the idle timeout. */
  maxIdleTimeout: number;
  /** Server only; 16 bytes. */
  statelessResetToken?: Uint8Array;
  maxUdpPayloadSize: number;
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
  ackDelayExponent: number;
  /** Milliseconds. */
  maxAckDelay: number;
  disableActiveMigration: boolean;
  /** Server only. */
  preferredAddress?: PreferredAddress;
  activeConnectionIdLimit: number;
  initialSourceConnectionId?: Uint8Array;
  /** Server only, after a Retry. */
  retrySourceConnectionId?: Uint8Array;
  /** RFC 9221 §3: absent means DATAGRAM frames are not supported. */
  maxDatagramFrameSize?: number;
  /** draft-banks-quic-disable-encryption: the sender is willing to send and receive unprotected 1-RTT packets. */
  disable1RttEncryption?: boolean;
}

/** RFC 9000 §18.2 defaults for every parameter that has one. */
export const DEFAULT_TRANSPORT_PARAMETERS: Readonly<TransportParameters> = Object.freeze({
  maxIdleTimeout: 0,
  maxUdpPayloadSize: MAX_UDP_PAYLOAD_SIZE,
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  disableActiveMigration: false,
  activeConnectionIdLimit: MIN_ACTIVE_CONNECTION_ID_LIMIT,
});

/** A parameter this library does not know, sent as is (e.g. GREASE ids 31*N+27, RFC 9000 §18.1). */
export interface RawTransportParameter {
  id: number;
  value: Uint8Array;
}

const SERVER_ONLY = new Set<number>([
  TransportParameterId.original_destination_connection_id,
  TransportParameterId.stateless_reset_token,
  TransportParameterId.preferred_address,
  TransportParameterId.retry_source_connection_id,
]);

function paramError(reason: string): QuicError {
  return new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, reason);
}

/**
 * Decodes the parameters `sender` sent. Unknown ids are ignored (RFC 9000 §7.4.2); duplicates, malformed
 * values, invalid values, server-only parameters from a client (§18.2) and a missing
 * initial_source_connection_id, or original_destination_connection_id from a server (§7.3), raise
 * TRANSPORT_PARAMETER_ERROR.
 */
export function decodeTransportParameters(bytes: Uint8Array, sender: EndpointRole): TransportParameters {
  const r = new BufferReader(bytes, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  const params: TransportParameters = { ...DEFAULT_TRANSPORT_PARAMETERS };
  const seen = new Set<number | bigint>();
  // Each parameter consumes at least 2 bytes, so the loop is bounded by the extension size.
  while (!r.atEnd) {
    const idAt = r.offset;
    let id: number | bigint = r.varint();
    if (id > VARINT_MAX_SAFE) {
      r.seek(idAt);
      id = r.varintBigInt();
    }
    const value = r.varintBytes();
    // RFC 9000 §7.4: "An endpoint MUST NOT send a parameter more than once"; receipt MAY be an error.
    if (seen.has(id)) throw paramError(`transport parameter 0x${id.toString(16)} sent twice`);
    seen.add(id);
    if (typeof id === 'number') applyParameter(params, id, value, sender);
  }
  // RFC 9000 §7.3: absence of these is a TRANSPORT_PARAMETER_ERROR.
  if (params.initialSourceConnectionId === undefined) throw paramError('initial_source_connection_id missing');
  if (sender === 'server' && params.originalDestinationConnectionId === undefined) {
    throw paramError('original_destination_connection_id missing from the server');
  }
  // RFC 9000 §18.2: "A server that chooses a zero-length connection ID MUST NOT provide a preferred
  // address ... A client MUST treat violation of these requirements as ... TRANSPORT_PARAMETER_ERROR."
  if (params.preferredAddress !== undefined && params.initialSourceConnectionId.length === 0) {
    throw paramError('preferred_address from a server using a zero-length connection ID');
  }
  return params;
}

function applyParameter(p: TransportParameters, id: number, value: Uint8Array, sender: EndpointRole): void {
  // RFC 9000 §18.2: a server MUST treat a server-only parameter from a client as TRANSPORT_PARAMETER_ERROR.
  if (sender === 'client' && SERVER_ONLY.has(id)) throw paramError(`client sent server-only transport parameter 0x${id.toString(16)}`);
  const P = TransportParameterId;
  switch (id) {
    case P.original_destination_connection_id:
      p.originalDestinationConnectionId = connectionIdValue(value, 'original_destination_connection_id');
      return;
    case P.max_idle_timeout:
      p.maxIdleTimeout = varintValue(value, 'max_idle_timeout');
      return;
    case P.stateless_reset_token:
      if (value.length !== STATELESS_RESET_TOKEN_LENGTH) throw paramError('stateless_reset_token must be 16 bytes');
      p.statelessResetToken = ownedCopy(value);
      return;
    case P.max_udp_payload_size: {
      const v = varintValue(value, 'max_udp_payload_size');
      if (v < MIN_MAX_UDP_PAYLOAD_SIZE) throw paramError(`max_udp_payload_size ${v} below 1200`);
      p.maxUdpPayloadSize = v;
      return;
    }
    case P.initial_max_data:
      p.initialMaxData = varintValue(value, 'initial_max_data');
      return;
    case P.initial_max_stream_data_bidi_local:
      p.initialMaxStreamDataBidiLocal = varintValue(value, 'initial_max_stream_data_bidi_local');
      return;
    case P.initial_max_stream_data_bidi_remote:
      p.initialMaxStreamDataBidiRemote = varintValue(value, 'initial_max_stream_data_bidi_remote');
      return;
    case P.initial_max_stream_data_uni:
      p.initialMaxStreamDataUni = varintValue(value, 'initial_max_stream_data_uni');
      return;
    case P.initial_max_streams_bidi:
      p.initialMaxStreamsBidi = streamCountValue(value, 'initial_max_streams_bidi');
      return;
    case P.initial_max_streams_uni:
      p.initialMaxStreamsUni = streamCountValue(value, 'initial_max_streams_uni');
      return;
    case P.ack_delay_exponent: {
      const v = varintValue(value, 'ack_delay_exponent');
      if (v > MAX_ACK_DELAY_EXPONENT) throw paramError(`ack_delay_exponent ${v} above 20`);
      p.ackDelayExponent = v;
      return;
    }
    case P.max_ack_delay: {
      const v = varintValue(value, 'max_ack_delay');
      if (v >= MAX_ACK_DELAY_LIMIT) throw paramError(`max_ack_delay ${v} not below 2^14`);
      p.maxAckDelay = v;
      return;
    }
    case P.disable_active_migration:
      // RFC 9000 §18.2: a zero-length value.
      if (value.length !== 0) throw paramError('disable_active_migration must be empty');
      p.disableActiveMigration = true;
      return;
    case P.preferred_address:
      p.preferredAddress = preferredAddressValue(value);
      return;
    case P.active_connection_id_limit: {
      const v = varintValue(value, 'active_connection_id_limit');
      if (v < MIN_ACTIVE_CONNECTION_ID_LIMIT) throw paramError(`active_connection_id_limit ${v} below 2`);
      p.activeConnectionIdLimit = v;
      return;
    }
    case P.initial_source_connection_id:
      p.initialSourceConnectionId = connectionIdValue(value, 'initial_source_connection_id');
      return;
    case P.retry_source_connection_id:
      p.retrySourceConnectionId = connectionIdValue(value, 'retry_source_connection_id');
      return;
    case P.max_datagram_frame_size:
      p.maxDatagramFrameSize = varintValue(value, 'max_datagram_frame_size');
      return;
    case P.disable_1rtt_encryption:
      // draft-banks-quic-disable-encryption: the parameter has no value.
      if (value.length !== 0) throw paramError(`disable_1rtt_encryption must be empty, got ${value.length} bytes`);
      p.disable1RttEncryption = true;
      return;
    default:
      // RFC 9000 §7.4.2: "An endpoint MUST ignore transport parameters that it does not support."
      return;
  }
}

/** A varint filling the whole value. Values beyond 2^53-1 saturate: every one of them means "no limit". */
function varintValue(value: Uint8Array, name: string): number {
  const r = new BufferReader(value, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  const v = r.varint();
  if (!r.atEnd) throw paramError(`${name} value has ${r.remaining} trailing bytes`);
  return v > VARINT_MAX_SAFE ? VARINT_MAX_SAFE : v;
}

/**
 * RFC 9000 §4.6: a max_streams parameter above 2^60 -> TRANSPORT_PARAMETER_ERROR (checked exactly on the
 * 62-bit value); valid counts above 2^53-1 saturate like every other limit.
 */
function streamCountValue(value: Uint8Array, name: string): number {
  const r = new BufferReader(value, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  const exact = r.varintBigInt();
  if (!r.atEnd) throw paramError(`${name} value has ${r.remaining} trailing bytes`);
  if (exact > BigInt(MAX_STREAM_COUNT)) throw paramError(`${name} above 2^60`);
  return exact > BigInt(VARINT_MAX_SAFE) ? VARINT_MAX_SAFE : Number(exact);
}

function connectionIdValue(value: Uint8Array, name: string): Uint8Array {
  if (value.length > MAX_CONNECTION_ID_LENGTH) throw paramError(`${name} longer than 20 bytes`);
  return ownedCopy(value);
}

/**
 * Byte values kept for the connection's lifetime are copied out of the extension they were decoded from:
 * that is often a view into a received datagram or into one of Node's shared 8 KiB Buffer pool blocks,
 * and a view of a few bytes would keep the whole block alive. `new Uint8Array(typedArray)` always copies
 * into a new ArrayBuffer of exactly that size.
 */
function ownedCopy(value: Uint8Array): Uint8Array {
  return new Uint8Array(value);
}

function preferredAddressValue(value: Uint8Array): PreferredAddress {
  const r = new BufferReader(value, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  const ipv4Address = r.bytesView(4);
  const ipv4Port = r.u16();
  const ipv6Address = r.bytesView(16);
  const ipv6Port = r.u16();
  const cidLength = r.u8();
  // RFC 9000 §18.2: "a server MUST NOT include a zero-length connection ID in this transport parameter".
  if (cidLength < 1 || cidLength > MAX_CONNECTION_ID_LENGTH) throw paramError(`preferred_address connection ID length ${cidLength} outside 1..20`);
  const connectionId = r.bytesView(cidLength);
  const statelessResetToken = r.bytesView(STATELESS_RESET_TOKEN_LENGTH);
  if (!r.atEnd) throw paramError('preferred_address has trailing bytes');
  return {
    ipv4Address: ownedCopy(ipv4Address),
    ipv4Port,
    ipv6Address: ownedCopy(ipv6Address),
    ipv6Port,
    connectionId: ownedCopy(connectionId),
    statelessResetToken: ownedCopy(statelessResetToken),
  };
}

export interface EncodeTransportParametersOptions {
  /** Extra parameters appended as is, e.g. GREASE (RFC 9000 §18.1: ids 31*N+27). */
  extra?: readonly RawTransportParameter[];
}

/**
 * Encodes the parameters `sender` sends: every value that differs from its default, the connection IDs
 * and tokens that are set. The same rules as decoding are enforced (INTERNAL_ERROR: a local bug).
 */
export function encodeTransportParameters(
  params: Partial<TransportParameters>,
  sender: EndpointRole,
  options: EncodeTransportParametersOptions = {},
): Uint8Array {
  const p: TransportParameters = { ...DEFAULT_TRANSPORT_PARAMETERS, ...params };
  const d = DEFAULT_TRANSPORT_PARAMETERS;
  const P = TransportParameterId;
  const w = new BufferWriter();
  const bytesParam = (id: number, v: Uint8Array | undefined): void => {
    if (v === undefined) return;
    if (sender === 'client' && SERVER_ONLY.has(id)) throw localError(`a client cannot send transport parameter 0x${id.toString(16)}`);
    w.varint(id).varint(v.length).bytes(v);
  };
  const intParam = (id: number, v: number, def: number | undefined): void => {
    if (v === def) return;
    w.varint(id).varint(varintSize(v)).varint(v);
  };
  checkLocal(p);
  bytesParam(P.original_destination_connection_id, p.originalDestinationConnectionId);
  intParam(P.max_idle_timeout, p.maxIdleTimeout, d.maxIdleTimeout);
  bytesParam(P.stateless_reset_token, p.statelessResetToken);
  intParam(P.max_udp_payload_size, p.maxUdpPayloadSize, d.maxUdpPayloadSize);
  intParam(P.initial_max_data, p.initialMaxData, d.initialMaxData);
  intParam(P.initial_max_stream_data_bidi_local, p.initialMaxStreamDataBidiLocal, d.initialMaxStreamDataBidiLocal);
  intParam(P.initial_max_stream_data_bidi_remote, p.initialMaxStreamDataBidiRemote, d.initialMaxStreamDataBidiRemote);
  intParam(P.initial_max_stream_data_uni, p.initialMaxStreamDataUni, d.initialMaxStreamDataUni);
  intParam(P.initial_max_streams_bidi, p.initialMaxStreamsBidi, d.initialMaxStreamsBidi);
  intParam(P.initial_max_streams_uni, p.initialMaxStreamsUni, d.initialMaxStreamsUni);
  intParam(P.ack_delay_exponent, p.ackDelayExponent, d.ackDelayExponent);
  intParam(P.max_ack_delay, p.maxAckDelay, d.maxAckDelay);
  if (p.disableActiveMigration) w.varint(P.disable_active_migration).varint(0);
  if (p.preferredAddress !== undefined) bytesParam(P.preferred_address, encodePreferredAddress(p.preferredAddress));
  intParam(P.active_connection_id_limit, p.activeConnectionIdLimit, d.activeConnectionIdLimit);
  bytesParam(P.initial_source_connection_id, p.initialSourceConnectionId);
  bytesParam(P.retry_source_connection_id, p.retrySourceConnectionId);
  if (p.maxDatagramFrameSize !== undefined) intParam(P.max_datagram_frame_size, p.maxDatagramFrameSize, undefined);
  if (p.disable1RttEncryption === true) w.varint(P.disable_1rtt_encryption).varint(0);
  for (const e of options.extra ?? []) {
    if (isKnownId(e.id)) throw localError(`extra transport parameter 0x${e.id.toString(16)} is a known parameter`);
    w.varint(e.id).varint(e.value.length).bytes(e.value);
  }
  return w.view();
}

function varintSize(v: number): number {
  return v <= 0x3f ? 1 : v <= 0x3fff ? 2 : v <= 0x3fffffff ? 4 : 8;
}

function isKnownId(id: number): boolean {
  return (Object.values(TransportParameterId) as number[]).includes(id);
}

function localError(reason: string): QuicError {
  return new QuicError(TransportErrorCode.INTERNAL_ERROR, reason);
}

function checkLocal(p: TransportParameters): void {
  if (p.maxUdpPayloadSize < MIN_MAX_UDP_PAYLOAD_SIZE) throw localError('max_udp_payload_size below 1200');
  if (p.ackDelayExponent > MAX_ACK_DELAY_EXPONENT) throw localError('ack_delay_exponent above 20');
  if (p.maxAckDelay >= MAX_ACK_DELAY_LIMIT) throw localError('max_ack_delay not below 2^14');
  if (p.activeConnectionIdLimit < MIN_ACTIVE_CONNECTION_ID_LIMIT) throw localError('active_connection_id_limit below 2');
  if (p.initialMaxStreamsBidi > MAX_STREAM_COUNT || p.initialMaxStreamsUni > MAX_STREAM_COUNT) throw localError('max streams above 2^60');
  if (p.statelessResetToken !== undefined && p.statelessResetToken.length !== STATELESS_RESET_TOKEN_LENGTH) {
    throw localError('stateless_reset_token must be 16 bytes');
  }
  for (const cid of [p.originalDestinationConnectionId, p.initialSourceConnectionId, p.retrySourceConnectionId]) {
    if (cid !== undefined && cid.length > MAX_CONNECTION_ID_LENGTH) throw localError('connection ID longer than 20 bytes');
  }
}

function encodePreferredAddress(a: PreferredAddress): Uint8Array {
  if (a.ipv4Address.length !== 4 || a.ipv6Address.length !== 16) throw localError('preferred_address needs 4- and 16-byte addresses');
  if (a.connectionId.length < 1 || a.connectionId.length > MAX_CONNECTION_ID_LENGTH) throw localError('preferred_address connection ID length outside 1..20');
  if (a.statelessResetToken.length !== STATELESS_RESET_TOKEN_LENGTH) throw localError('preferred_address token must be 16 bytes');
  const w = new BufferWriter(new Uint8Array(4 + 2 + 16 + 2 + 1 + a.connectionId.length + STATELESS_RESET_TOKEN_LENGTH));
  w.bytes(a.ipv4Address).u16(a.ipv4Port).bytes(a.ipv6Address).u16(a.ipv6Port);
  w.u8(a.connectionId.length).bytes(a.connectionId).bytes(a.statelessResetToken);
  return w.view();
}
