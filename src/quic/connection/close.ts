// Connection termination (RFC 9000 §10): the closing state (we sent CONNECTION_CLOSE and repeat it,
// at a limited rate, to packets that keep arriving, §10.2.1), the draining state (the peer closed or
// reset; we send nothing, §10.2.2), both lasting three PTOs (§10.2), and the CONNECTION_CLOSE frame
// each packet type may carry (§10.2.3).
import { TransportErrorCode } from '../wire/errors.js';
import type { ConnectionCloseFrame } from '../wire/frame-types.js';
import type { ConnectionCloseInfo } from './api.js';

/** RFC 9000 §10.2: the closing and draining states last at least three times the PTO. */
export const CLOSE_PERIOD_PTOS = 3;
/** Longest reason phrase we send: a close must fit any packet (RFC 9000 §19.19 does not bound it). */
export const MAX_CLOSE_REASON_BYTES = 256;

export class CloseState {
  readonly kind: 'closing' | 'draining';
  readonly info: ConnectionCloseInfo;
  /** End of the closing/draining period, set on the first poll or timer after entering it. */
  deadline: number | undefined;
  /** Closing: a CONNECTION_CLOSE datagram is due. */
  sendPending: boolean;
  private packetsSinceSend = 0;
  private nextResponseAt = 1;
  /**
   * Packets arriving before this time left the peer before our first CONNECTION_CLOSE could reach it:
   * they crossed it in flight and say nothing about its loss, so they get no answer (see onFirstSent).
   * Undefined until that first close has been sent.
   */
  private quietUntil: number | undefined;

  constructor(kind: 'closing' | 'draining', info: ConnectionCloseInfo) {
    this.kind = kind;
    this.info = info;
    this.sendPending = kind === 'closing';
  }

  /**
   * The first CONNECTION_CLOSE left at `now`. A packet the peer sent before that close reached it arrives
   * within about one round trip of it, later by whatever delays either end's processing: `window` is
   * smoothed_rtt + max(4 * rttvar, kGranularity), the PTO without the peer's ack delay (RFC 9002 §6.2.1).
   * Answering such packets (the peer's ACKs and post-handshake frames racing an immediate close,
   * typically) only costs both sides a datagram: RFC 9000 §10.2.1 lets an endpoint wait "a progressively
   * increasing number of received packets or amount of time" before responding. If the close was lost,
   * the peer's retransmissions come after its own PTO, which adds its max_ack_delay, and are answered.
   */
  onFirstSent(now: number, window: number): void {
    this.quietUntil ??= now + window;
  }

  /**
   * RFC 9000 §10.2.1: answer packets received while closing with CONNECTION_CLOSE, but at a rate that
   * cannot be used to amplify: after 1, 2, 4, 8, ... further packets, not counting those that crossed
   * our first close in flight (onFirstSent).
   */
  onPacketWhileClosing(now: number): void {
    if (this.kind !== 'closing' || (this.quietUntil !== undefined && now < this.quietUntil)) return;
    this.packetsSinceSend++;
    if (this.packetsSinceSend >= this.nextResponseAt) {
      this.sendPending = true;
      this.packetsSinceSend = 0;
      this.nextResponseAt *= 2;
    }
  }

  /**
   * The CONNECTION_CLOSE for a packet type. RFC 9000 §10.2.3: in Initial and Handshake packets an
   * application close becomes a transport APPLICATION_ERROR with an empty reason, since the peer may not
   * have authenticated us yet and the application's reason must not leak.
   */
  frameFor(packetType: 'initial' | 'handshake' | '1rtt'): ConnectionCloseFrame {
    const info = this.info;
    if (info.application && packetType !== '1rtt') {
      return { kind: 'connection_close', isApplication: false, errorCode: TransportErrorCode.APPLICATION_ERROR, frameType: 0, reason: '' };
    }
    return {
      kind: 'connection_close',
      isApplication: info.application,
      errorCode: info.code,
      frameType: info.application ? 0 : (info.frameType ?? 0),
      reason: truncateUtf8(info.reason, MAX_CLOSE_REASON_BYTES),
    };
  }
}

/** Cuts a string to at most `maxBytes` of UTF-8 without splitting a character. */
export function truncateUtf8(s: string, maxBytes: number): string {
  const bytes = Buffer.from(s, 'utf8');
  if (bytes.length <= maxBytes) return s;
  let end = maxBytes;
  // Back up over continuation bytes (10xxxxxx) so the cut falls on a character boundary.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end).toString('utf8');
}
