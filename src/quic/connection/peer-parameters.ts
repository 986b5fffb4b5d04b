// Validation of the peer's transport parameters beyond their encoding (RFC 9000 §7.3, §7.4): the
// connection IDs they carry must match what was seen on the wire, which authenticates the IDs of the
// handshake packets (an on-path attacker cannot change them without the handshake failing).
import { QuicError, TransportErrorCode } from '../wire/errors.js';
import { decodeTransportParameters, type TransportParameters } from '../wire/transport-parameters.js';

export interface ConnectionIdsSeen {
  /** The peer's Source Connection ID from its first Initial (RFC 9000 §7.3). */
  peerInitialScid: Uint8Array;
  /** Client only: the DCID of our first Initial (before any Retry). */
  originalDcid?: Uint8Array;
  /** Client only: the SCID of the Retry we accepted, if any. */
  retryScid?: Uint8Array;
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}

/**
 * Decodes (TRANSPORT_PARAMETER_ERROR on any malformed value, RFC 9000 §7.4) and checks the connection
 * ID parameters of §7.3. `receiver` is our role.
 */
export function validatePeerTransportParameters(data: Uint8Array, receiver: 'client' | 'server', seen: ConnectionIdsSeen): TransportParameters {
  const params = decodeTransportParameters(data, receiver === 'client' ? 'server' : 'client');
  // RFC 9000 §7.3: "a mismatch between values received from a peer in these transport parameters and the
  // value sent in the corresponding Destination or Source Connection ID fields of Initial packets" is a
  // TRANSPORT_PARAMETER_ERROR or PROTOCOL_VIOLATION; we use PROTOCOL_VIOLATION for mismatches.
  if (!equal(params.initialSourceConnectionId!, seen.peerInitialScid)) {
    throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'initial_source_connection_id does not match the Source Connection ID of the Initial packets');
  }
  if (receiver === 'client') {
    if (seen.originalDcid !== undefined && !equal(params.originalDestinationConnectionId!, seen.originalDcid)) {
      throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'original_destination_connection_id does not match our first Destination Connection ID');
    }
    if (seen.retryScid !== undefined) {
      // §7.3: absence after a Retry is an error.
      if (params.retrySourceConnectionId === undefined) {
        throw new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, 'retry_source_connection_id missing after a Retry');
      }
      if (!equal(params.retrySourceConnectionId, seen.retryScid)) {
        throw new QuicError(TransportErrorCode.PROTOCOL_VIOLATION, 'retry_source_connection_id does not match the Retry packet');
      }
    } else if (params.retrySourceConnectionId !== undefined) {
      // §7.3: presence without a Retry is an error.
      throw new QuicError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, 'retry_source_connection_id without a Retry');
    }
  }
  return params;
}
