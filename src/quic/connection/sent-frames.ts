// What a sent packet carried, as loss detection keeps it (RFC 9002 Appendix A.1.1 "frames"): enough to
// react when the packet is acknowledged or declared lost. RFC 9000 §13.3: data is retransmitted in new
// frames, control frames are re-sent with current values, and PING / PADDING / ACK are never repeated.
import type { ConnectionIdFrame, ConnectionIdManager } from '../cid/connection-id-manager.js';
import type { SentStreamFrame, StreamControlFrame, StreamManager } from '../streams/stream-manager.js';
import type { PacketSpace } from './packet-space.js';

export type SentFrame =
  /** CRYPTO data of the packet's number space. */
  | { readonly kind: 'crypto'; readonly offset: number; readonly length: number }
  | { readonly kind: 'stream'; readonly frame: SentStreamFrame }
  | { readonly kind: 'stream-control'; readonly frame: StreamControlFrame }
  | { readonly kind: 'cid'; readonly frame: ConnectionIdFrame }
  /** An ACK frame: once acknowledged, older packet numbers need not be acknowledged again (RFC 9000 §13.2.4). */
  | { readonly kind: 'ack'; readonly largest: number }
  | { readonly kind: 'handshake-done' }
  /** RFC 9000 §13.3: a NEW_TOKEN is sent again if its packet is lost. */
  | { readonly kind: 'new-token'; readonly token: Uint8Array }
  | { readonly kind: 'ping' }
  | { readonly kind: 'path-challenge' }
  | { readonly kind: 'path-response' }
  | { readonly kind: 'datagram' }
  | { readonly kind: 'close' };

/** What loss detection keeps per sent packet. */
export interface SentPacketInfo {
  readonly frames: SentFrame[];
  /** Sent in a 0-RTT packet: resent as 1-RTT if the server rejects 0-RTT (RFC 9001 §4.6.2). */
  readonly zeroRtt: boolean;
  /** The 1-RTT key phase generation the packet was protected with (RFC 9001 §6.1). */
  readonly keyGeneration: number;
}

/** The owners of what sent frames carried, told when a packet is acknowledged or lost. */
export interface SentFrameOwners {
  readonly space: PacketSpace;
  readonly streams: StreamManager;
  readonly cids: ConnectionIdManager | undefined;
  /** HANDSHAKE_DONE acknowledged: the server's handshake is confirmed end to end. */
  handshakeDoneAcked(): void;
  /** HANDSHAKE_DONE lost: send it again (RFC 9000 §13.3). */
  handshakeDoneLost(): void;
  /** PATH_CHALLENGE lost: challenge again while validation is pending (RFC 9000 §8.2.1). */
  pathChallengeLost(): void;
  /** NEW_TOKEN lost: send the token again (RFC 9000 §13.3). */
  newTokenLost(token: Uint8Array): void;
}

/** A packet's frames were acknowledged (RFC 9002 §6.1 "newly acknowledged"). */
export function onFramesAcked(frames: readonly SentFrame[], o: SentFrameOwners): void {
  for (const f of frames) {
    switch (f.kind) {
      case 'crypto':
        o.space.cryptoSend.onAcked(f.offset, f.length);
        break;
      case 'stream':
        o.streams.onStreamFrameAcked(f.frame);
        break;
      case 'stream-control':
        o.streams.onControlFrameAcked(f.frame);
        break;
      case 'cid':
        o.cids?.onFrameAcked(f.frame);
        break;
      case 'ack':
        // RFC 9000 §13.2.4: the peer has our ACK; stop acknowledging what it covered.
        o.space.acks.onAckAcknowledged(f.largest);
        break;
      case 'handshake-done':
        o.handshakeDoneAcked();
        break;
      default:
        break;
    }
  }
}

/** RFC 9000 §13.3: what a lost packet carried is sent again in new packets, if still relevant. */
export function onFramesLost(frames: readonly SentFrame[], o: SentFrameOwners): void {
  for (const f of frames) {
    switch (f.kind) {
      case 'crypto':
        if (!o.space.discarded) o.space.cryptoSend.onLost(f.offset, f.length);
        break;
      case 'stream':
        o.streams.onStreamFrameLost(f.frame);
        break;
      case 'stream-control':
        o.streams.onControlFrameLost(f.frame);
        break;
      case 'cid':
        o.cids?.onFrameLost(f.frame);
        break;
      case 'handshake-done':
        o.handshakeDoneLost();
        break;
      case 'path-challenge':
        o.pathChallengeLost();
        break;
      case 'new-token':
        o.newTokenLost(f.token);
        break;
      default:
        // ACK, PING, PATH_RESPONSE, DATAGRAM and CONNECTION_CLOSE are never retransmitted.
        break;
    }
  }
}
