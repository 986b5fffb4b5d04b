// Stream identifiers (RFC 9000 §2.1). The two least significant bits of a stream ID encode who opened
// the stream (bit 0: 0 client, 1 server) and its directionality (bit 1: 0 bidirectional, 1 unidirectional).
// IDs are JavaScript numbers: stream limits are far below 2^53, so any ID beyond a limit is rejected
// before precision could matter (an ID above Number.MAX_SAFE_INTEGER always exceeds the limit).

export type StreamId = number;
export type EndpointRole = 'client' | 'server';
export type StreamDirection = 'bidi' | 'uni';

/** RFC 9000 §2.1 Table 1: the four stream types, as the value of the two low bits. */
export const StreamType = {
  CLIENT_BIDI: 0x0,
  SERVER_BIDI: 0x1,
  CLIENT_UNI: 0x2,
  SERVER_UNI: 0x3,
} as const;
export type StreamType = (typeof StreamType)[keyof typeof StreamType];

/** RFC 9000 §4.6: a stream count limit can never exceed 2^60 (stream IDs are 62-bit). */
export const MAX_STREAM_COUNT = 2 ** 60;

export const streamType = (id: StreamId): StreamType => (id % 4) as StreamType;
export const isClientInitiated = (id: StreamId): boolean => id % 2 === 0;
export const isServerInitiated = (id: StreamId): boolean => id % 2 === 1;
// Arithmetic, not bit operators: `&` truncates to 32 bits and IDs may be larger.
export const isBidirectional = (id: StreamId): boolean => id % 4 < 2;
export const isUnidirectional = (id: StreamId): boolean => !isBidirectional(id);
export const streamDirection = (id: StreamId): StreamDirection => (isBidirectional(id) ? 'bidi' : 'uni');
export const initiator = (id: StreamId): EndpointRole => (isClientInitiated(id) ? 'client' : 'server');

/** The stream's position among streams of its type: ID 0,4,8.. -> 0,1,2.. (RFC 9000 §2.1). */
export const streamIndex = (id: StreamId): number => Math.floor(id / 4);

/** The ID of the `index`-th stream of a type opened by `by` (inverse of streamIndex). */
export function streamIdOf(by: EndpointRole, direction: StreamDirection, index: number): StreamId {
  return index * 4 + (direction === 'uni' ? 2 : 0) + (by === 'server' ? 1 : 0);
}

export const isLocallyInitiated = (id: StreamId, local: EndpointRole): boolean => initiator(id) === local;

/** Whether `local` may send on the stream: every bidi stream, and uni streams it opened (RFC 9000 §2.1). */
export const hasSendSide = (id: StreamId, local: EndpointRole): boolean =>
  isBidirectional(id) || isLocallyInitiated(id, local);

/** Whether `local` receives on the stream: every bidi stream, and uni streams the peer opened. */
export const hasReceiveSide = (id: StreamId, local: EndpointRole): boolean =>
  isBidirectional(id) || !isLocallyInitiated(id, local);

/** A valid stream ID is a non-negative integer of at most 62 bits (RFC 9000 §16). */
// `< 2 ** 62`, not `<= 2 ** 62 - 1`: the latter rounds to 2^62 in floating point.
export const isValidStreamId = (id: number): boolean => Number.isInteger(id) && id >= 0 && id < 2 ** 62;
