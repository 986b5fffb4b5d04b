// What a server does with the Token field of a new client Initial (RFC 9000 §8.1): accept the client
// (its address validated or not), send it a Retry, or close with INVALID_TOKEN. A pure decision over the
// packet, the client address and the token codec; the endpoint queues the packet it returns.
import { TransportErrorCode } from '../wire/errors.js';
import type { ParsedLongHeaderPacket } from '../wire/header.js';
import { initialClosePacket, retryPacket } from './stateless-packets.js';
import type { AddressTokenCodec } from './tokens.js';

export type AddressValidation =
  /** Create the connection. `originalDcid` / `retrySourceCid` feed the transport parameters (RFC 9000 §7.3). */
  | { action: 'accept'; validated: boolean; originalDcid: Uint8Array; retrySourceCid?: Uint8Array }
  /** RFC 9000 §8.1.2: answer with this Retry and keep no state. */
  | { action: 'retry'; datagram: Uint8Array }
  /** RFC 9000 §8.1.2: an invalid Retry token; answer with this Initial carrying CONNECTION_CLOSE(INVALID_TOKEN). */
  | { action: 'invalid-token'; datagram: Uint8Array };

export interface AddressValidationInput {
  /** The client's Initial (header parsed, still protected). */
  packet: ParsedLongHeaderPacket;
  /** "ip:port" the Initial came from. */
  remote: string;
  now: number;
  tokens: AddressTokenCodec;
  /** Send a Retry to clients whose address no token validates. */
  retryRequired: boolean;
  /** A fresh connection ID of ours (the Retry's SCID, or the SCID of the INVALID_TOKEN close). */
  newConnectionId: () => Uint8Array;
  random: (n: number) => Uint8Array;
}

export function validateClientAddress(i: AddressValidationInput): AddressValidation {
  const { packet } = i;
  if (packet.token.length > 0) {
    const check = i.tokens.open(packet.token, i.remote, i.now);
    if (check.kind === 'retry') {
      // RFC 9000 §8.1.2 / §17.2.5.2: the Initial answering our Retry is addressed to the Retry's SCID.
      if (check.valid && bytesEqual(check.retrySourceCid, packet.dcid)) {
        return { action: 'accept', validated: true, originalDcid: check.originalDcid, retrySourceCid: check.retrySourceCid };
      }
      // RFC 9000 §8.1.2: "If a server receives a client Initial that contains an invalid Retry token but
      // is otherwise valid ... the server SHOULD immediately close ... the connection with an INVALID_TOKEN error."
      const close = initialClosePacket(packet.dcid, packet.scid, i.newConnectionId(), TransportErrorCode.INVALID_TOKEN, 'invalid retry token', packet.version);
      return { action: 'invalid-token', datagram: close };
    }
    if (check.valid) return { action: 'accept', validated: true, originalDcid: packet.dcid };
    // RFC 9000 §8.1.3: a NEW_TOKEN token (or a token of unknown origin) that cannot be used is ignored:
    // "the server SHOULD proceed as if the client did not have a validated address".
  }
  if (i.retryRequired) {
    const retryScid = i.newConnectionId();
    const token = i.tokens.sealRetryToken(i.remote, packet.dcid, retryScid, i.now);
    return { action: 'retry', datagram: retryPacket(packet.scid, packet.dcid, retryScid, token, i.random, packet.version) };
  }
  return { action: 'accept', validated: false, originalDcid: packet.dcid };
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(b);
}
