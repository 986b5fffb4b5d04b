// Sizes of the frames the stream layer asks the packet builder to write, so it can fit them into the
// space left in a packet without depending on the wire encoder. Values follow RFC 9000 §16 (varints)
// and §19.8 (STREAM frame layout).

/** Bytes a QUIC variable-length integer takes (RFC 9000 §16). */
export function varintSize(value: number): 1 | 2 | 4 | 8 {
  if (value < 0x40) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x40000000) return 4;
  return 8;
}

/** STREAM frame header (RFC 9000 §19.8): type, stream ID, offset (omitted when 0) and length. */
export function streamFrameOverhead(streamId: number, offset: number, length: number): number {
  return 1 + varintSize(streamId) + (offset > 0 ? varintSize(offset) : 0) + varintSize(length);
}

/**
 * The largest control frame the stream layer emits: RESET_STREAM with three 8-byte varints
 * (RFC 9000 §19.4). A builder with this much room can always take the next control frame.
 */
export const MAX_STREAM_CONTROL_FRAME_SIZE = 1 + 8 + 8 + 8;
