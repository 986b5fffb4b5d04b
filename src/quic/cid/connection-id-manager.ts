// One connection's connection IDs in both directions (RFC 9000 §5.1): the IDs we issue (routing
// incoming packets to us) and the IDs the peer issued (destinations of our packets). The connection
// decodes NEW_CONNECTION_ID / RETIRE_CONNECTION_ID and calls on*(); it asks pollFrame() for frames to
// send and reports their acknowledgment or loss; the endpoint drains pollRoutingEvent() to keep its
// connection-ID routing table in step. Randomness and reset tokens are injected (sans-IO).
import {
  LocalConnectionIds,
  type LocalConnectionIdEvent,
  type LocalConnectionIdOptions,
  type NewConnectionIdFrame,
} from './local-connection-ids.js';
import {
  PeerConnectionIds,
  type PeerConnectionId,
  type PeerConnectionIdOptions,
  type RetireConnectionIdFrame,
} from './peer-connection-ids.js';
import type { ConnectionId } from './connection-id.js';

export interface ConnectionIdManagerOptions {
  local: LocalConnectionIdOptions;
  peer: PeerConnectionIdOptions;
}

export type ConnectionIdFrame = NewConnectionIdFrame | RetireConnectionIdFrame;

export class ConnectionIdManager {
  readonly local: LocalConnectionIds;
  readonly peer: PeerConnectionIds;

  constructor(options: ConnectionIdManagerOptions) {
    this.local = new LocalConnectionIds(options.local);
    this.peer = new PeerConnectionIds(options.peer);
  }

  /** The peer's active_connection_id_limit, from its transport parameters (RFC 9000 §18.2). */
  setPeerActiveLimit(limit: number): void {
    this.local.setPeerActiveLimit(limit);
  }

  /** Our active_connection_id_limit, for our transport parameters. */
  get advertisedActiveLimit(): number {
    return this.peer.activeLimit;
  }

  /** NEW_CONNECTION_ID frame (RFC 9000 §19.15). */
  onNewConnectionId(sequenceNumber: number, retirePriorTo: number, cid: ConnectionId, resetToken: Uint8Array): void {
    this.peer.onNewConnectionId(sequenceNumber, retirePriorTo, cid, resetToken);
  }

  /** RETIRE_CONNECTION_ID frame (RFC 9000 §19.16); `arrivedOn` is the sequence of the packet's DCID. */
  onRetireConnectionId(sequenceNumber: number, arrivedOn?: number): void {
    this.local.onRetire(sequenceNumber, arrivedOn);
  }

  /** The destination ID for the primary path. */
  get currentPeerId(): PeerConnectionId {
    return this.peer.current;
  }

  /**
   * The next NEW_CONNECTION_ID or RETIRE_CONNECTION_ID frame. `issueNew` says whether the handshake
   * allows issuing IDs yet (1-RTT keys available): IDs retired by the peer are replaced here.
   */
  pollFrame(issueNew = true): ConnectionIdFrame | undefined {
    const retire = this.peer.pollFrame();
    if (retire !== undefined) return retire;
    if (!issueNew) return undefined;
    this.local.replenish();
    return this.local.pollFrame();
  }

  onFrameAcked(frame: ConnectionIdFrame): void {
    if (frame.type === 'retire_connection_id') this.peer.onFrameAcked(frame);
  }

  onFrameLost(frame: ConnectionIdFrame): void {
    if (frame.type === 'retire_connection_id') this.peer.onFrameLost(frame);
    else this.local.onFrameLost(frame);
  }

  /** Asks the peer to retire all our current IDs and issues new ones (RFC 9000 §5.1.2). */
  rotateLocalIds(): void {
    this.local.rotate();
  }

  /** RFC 9000 §10.3.1: does this unprocessable datagram end in a token of a peer ID we used? */
  isStatelessReset(datagram: Uint8Array): boolean {
    return this.peer.isStatelessReset(datagram);
  }

  /** Routing table changes for the endpoint (IDs issued or retired), oldest first. */
  pollRoutingEvent(): LocalConnectionIdEvent | undefined {
    return this.local.pollEvent();
  }
}
