// Settings the QUIC benchmark's servers and clients share.

/**
 * Idle timeout for the QUIC connections (ms, RFC 9000 §10.1): long enough that the idle connections of
 * the memory test, which send nothing, stay open while thousands of them are set up and measured.
 */
export const BENCH_IDLE_TIMEOUT_MS = 300_000;
/** A 1200-byte UDP payload: the size every QUIC path must carry (RFC 9000 §14) and quicmq's default. */
export const QUIC_DATAGRAM_SIZE = 1200;
