// The connection IDs the peer issued to us (RFC 9000 §5.1): NEW_CONNECTION_ID storage (§19.15),
// retirement on retire_prior_to with RETIRE_CONNECTION_ID frames (§5.1.2), the active_connection_id_limit
// we advertised (CONNECTION_ID_LIMIT_ERROR), choosing an unused ID for a new path (§9.5: a new path must
// not reuse an ID), and recognising a stateless reset by the tokens of IDs we used (§10.3.1).
import { LocalStreamError, StreamError, TransportErrorCode } from '../streams/transport-error.js';
import {
  type ConnectionId,
  MAX_CONNECTION_ID_LENGTH,
  MIN_ACTIVE_CONNECTION_ID_LIMIT,
  MIN_STATELESS_RESET_LENGTH,
  STATELESS_RESET_TOKEN_LENGTH,
  connectionIdEquals,
  resetTokenEquals,
} from './connection-id.js';
import { appended, indexOfSequence, NO_ENTRIES, packIdAndToken, removedAt, replacedAt, without } from './small-list.js';

/** The active_connection_id_limit we advertise unless configured (RFC 9000 §18.2 minimum is 2). */
export const DEFAULT_ACTIVE_CONNECTION_ID_LIMIT = 4;

export interface PeerConnectionIdOptions {
  /** Sequence number 0: the Source Connection ID of the peer's first packet. */
  initial: ConnectionId;
  /** The server's stateless_reset_token transport parameter, for sequence 0 (RFC 9000 §18.2). */
  initialResetToken?: Uint8Array;
  /** Our active_connection_id_limit transport parameter. */
  activeLimit?: number;
  /**
   * Retirements we track until acknowledged; RFC 9000 §5.1.2 says to allow at least twice the
   * active limit and permits CONNECTION_ID_LIMIT_ERROR beyond. Default: 2 x activeLimit.
   */
  maxPendingRetirements?: number;
}

export interface PeerConnectionId {
  readonly sequenceNumber: number;
  readonly connectionId: ConnectionId;
  readonly statelessResetToken: Uint8Array | undefined;
}

interface StoredPeerId extends PeerConnectionId {
  /** Used as a destination on some path: its reset token is then checked (§10.3.1). */
  inUse: boolean;
}

/** RFC 9000 §19.16. */
export interface RetireConnectionIdFrame {
  readonly type: 'retire_connection_id';
  readonly sequenceNumber: number;
}

export class PeerConnectionIds {
  readonly activeLimit: number;
  private readonly maxPendingRetirements: number;
  private readonly zeroLength: boolean;
  // Small copy-on-write lists, not Maps and Sets: see small-list.ts (memory per idle connection).
  /** The active IDs, in the order they arrived. */
  private active: readonly StoredPeerId[];
  private retirePriorTo = 0;
  /** Sequence numbers at or above retirePriorTo that we retired ourselves (pruned as it rises). */
  private retiredAbove: readonly number[] = NO_ENTRIES;
  /** RETIRE_CONNECTION_ID frames to send, oldest first. */
  private retireToSend: readonly number[] = NO_ENTRIES;
  private retireInFlight: readonly number[] = NO_ENTRIES;
  private currentSequence = 0;

  constructor(options: PeerConnectionIdOptions) {
    this.activeLimit = options.activeLimit ?? DEFAULT_ACTIVE_CONNECTION_ID_LIMIT;
    if (this.activeLimit < MIN_ACTIVE_CONNECTION_ID_LIMIT) {
      throw new LocalStreamError('ERR_INVALID_ARGUMENT', `active_connection_id_limit ${this.activeLimit} below 2`);
    }
    this.maxPendingRetirements = options.maxPendingRetirements ?? 2 * this.activeLimit;
    this.zeroLength = options.initial.byteLength === 0;
    this.active = [{ sequenceNumber: 0, connectionId: options.initial, statelessResetToken: options.initialResetToken, inUse: true }];
  }

  private get(sequenceNumber: number): StoredPeerId | undefined {
    const i = indexOfSequence(this.active, sequenceNumber);
    return i < 0 ? undefined : this.active[i];
  }

  /** Adds an ID, or replaces the one with the same sequence number. */
  private put(id: StoredPeerId): void {
    const i = indexOfSequence(this.active, id.sequenceNumber);
    this.active = i < 0 ? appended(this.active, id) : replacedAt(this.active, i, id);
  }

  /** The destination connection ID for packets on the primary path. */
  get current(): PeerConnectionId {
    return this.get(this.currentSequence)!;
  }

  get activeCount(): number {
    return this.active.length;
  }

  /**
   * Client side: the server's first packet carries the ID it chose, replacing the random one the
   * client started with (RFC 9000 §7.2), together with the stateless_reset_token parameter later.
   */
  replaceInitial(cid: ConnectionId, resetToken?: Uint8Array): void {
    const initial = this.get(0);
    if (initial === undefined || this.active.length !== 1) {
      throw new LocalStreamError('ERR_INVALID_ARGUMENT', 'the initial connection ID can only change during the handshake');
    }
    this.put({ sequenceNumber: 0, connectionId: cid, statelessResetToken: resetToken ?? initial.statelessResetToken, inUse: initial.inUse });
  }

  /** NEW_CONNECTION_ID (RFC 9000 §19.15). Throws StreamError on a violation. */
  onNewConnectionId(sequenceNumber: number, retirePriorTo: number, cid: ConnectionId, resetToken: Uint8Array): void {
    if (this.zeroLength) {
      throw new StreamError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        'NEW_CONNECTION_ID while the peer uses a zero-length connection ID',
      );
    }
    if (retirePriorTo > sequenceNumber) {
      throw new StreamError(
        TransportErrorCode.FRAME_ENCODING_ERROR,
        `NEW_CONNECTION_ID retire_prior_to ${retirePriorTo} above sequence ${sequenceNumber}`,
      );
    }
    if (cid.byteLength < 1 || cid.byteLength > MAX_CONNECTION_ID_LENGTH) {
      throw new StreamError(TransportErrorCode.FRAME_ENCODING_ERROR, `NEW_CONNECTION_ID length ${cid.byteLength}`);
    }
    if (resetToken.byteLength !== STATELESS_RESET_TOKEN_LENGTH) {
      throw new StreamError(TransportErrorCode.FRAME_ENCODING_ERROR, `stateless reset token of ${resetToken.byteLength} bytes`);
    }
    const known = this.get(sequenceNumber);
    if (known !== undefined) {
      // A retransmission is fine; the same sequence for another ID or token is not (§19.15).
      // Sequence 0 came from the handshake, possibly without a token: the frame may supply it.
      const sameToken =
        known.statelessResetToken === undefined || resetTokenEquals(known.statelessResetToken, resetToken);
      if (!connectionIdEquals(known.connectionId, cid) || !sameToken) {
        throw new StreamError(
          TransportErrorCode.PROTOCOL_VIOLATION,
          `NEW_CONNECTION_ID sequence ${sequenceNumber} repeated with a different connection ID or token`,
        );
      }
    } else {
      for (const other of this.active) {
        if (connectionIdEquals(other.connectionId, cid)) {
          throw new StreamError(
            TransportErrorCode.PROTOCOL_VIOLATION,
            `NEW_CONNECTION_ID repeats the ID of sequence ${other.sequenceNumber} as ${sequenceNumber}`,
          );
        }
      }
    }
    // §5.1.2: retire everything below a raised retire_prior_to before adding the new ID.
    if (retirePriorTo > this.retirePriorTo) {
      this.retirePriorTo = retirePriorTo;
      // retireSequence replaces this.active; the loop walks the list as it was.
      for (const id of this.active) if (id.sequenceNumber < retirePriorTo) this.retireSequence(id.sequenceNumber);
      if (this.retiredAbove.length > 0) {
        const kept = this.retiredAbove.filter((seq) => seq >= retirePriorTo);
        this.retiredAbove = kept.length > 0 ? kept : NO_ENTRIES;
      }
    }
    if (sequenceNumber < this.retirePriorTo) {
      // §19.15: an ID that arrives already retired is retired at once (a repeat is harmless).
      this.queueRetirement(sequenceNumber);
    } else if (known !== undefined && known.statelessResetToken === undefined) {
      this.put({ sequenceNumber, connectionId: known.connectionId, statelessResetToken: resetToken, inUse: known.inUse });
    } else if (known === undefined && !this.retiredAbove.includes(sequenceNumber)) {
      const packed = packIdAndToken(cid, resetToken);
      this.put({ sequenceNumber, connectionId: packed.connectionId, statelessResetToken: packed.statelessResetToken, inUse: false });
    }
    if (this.active.length > this.activeLimit) {
      // §5.1.1: MUST close with CONNECTION_ID_LIMIT_ERROR.
      throw new StreamError(
        TransportErrorCode.CONNECTION_ID_LIMIT_ERROR,
        `peer provided ${this.active.length} active connection IDs, limit ${this.activeLimit}`,
      );
    }
    if (indexOfSequence(this.active, this.currentSequence) < 0) this.switchCurrent();
  }

  private switchCurrent(): void {
    const next = this.lowestUnused() ?? this.lowestActive();
    if (next === undefined) return; // unreachable: the frame that retired the current ID added one
    next.inUse = true;
    this.currentSequence = next.sequenceNumber;
  }

  private lowestUnused(): StoredPeerId | undefined {
    let best: StoredPeerId | undefined;
    for (const id of this.active) {
      if (!id.inUse && (best === undefined || id.sequenceNumber < best.sequenceNumber)) best = id;
    }
    return best;
  }

  private lowestActive(): StoredPeerId | undefined {
    let best: StoredPeerId | undefined;
    for (const id of this.active) if (best === undefined || id.sequenceNumber < best.sequenceNumber) best = id;
    return best;
  }

  /**
   * An ID never used before, for probing or migrating to a new path (RFC 9000 §9.5: a new path MUST
   * use an unused ID). Undefined when the peer has not supplied one; the caller then cannot migrate.
   */
  takeUnused(): PeerConnectionId | undefined {
    const id = this.lowestUnused();
    if (id !== undefined) id.inUse = true;
    return id;
  }

  /** Makes a previously taken ID the primary path's destination (after migration completes). */
  useAsCurrent(sequenceNumber: number): void {
    const id = this.get(sequenceNumber);
    if (id === undefined) throw new LocalStreamError('ERR_INVALID_ARGUMENT', `no active peer ID ${sequenceNumber}`);
    id.inUse = true;
    this.currentSequence = sequenceNumber;
  }

  /** We stop using an ID (an abandoned path): RETIRE_CONNECTION_ID tells the peer (§5.1.2). */
  retire(sequenceNumber: number): void {
    if (indexOfSequence(this.active, sequenceNumber) < 0) return;
    if (this.active.length === 1) {
      throw new LocalStreamError('ERR_INVALID_ARGUMENT', 'cannot retire the only peer connection ID');
    }
    this.retireSequence(sequenceNumber);
    if (!this.retiredAbove.includes(sequenceNumber)) this.retiredAbove = appended(this.retiredAbove, sequenceNumber);
    if (sequenceNumber === this.currentSequence) this.switchCurrent();
  }

  private retireSequence(seq: number): void {
    const i = indexOfSequence(this.active, seq);
    if (i >= 0) this.active = removedAt(this.active, i);
    this.queueRetirement(seq);
  }

  private queueRetirement(seq: number): void {
    if (this.retireInFlight.includes(seq) || this.retireToSend.includes(seq)) return;
    this.retireToSend = appended(this.retireToSend, seq);
    if (this.retireToSend.length + this.retireInFlight.length > this.maxPendingRetirements) {
      throw new StreamError(
        TransportErrorCode.CONNECTION_ID_LIMIT_ERROR,
        `more than ${this.maxPendingRetirements} connection IDs waiting to be retired`,
      );
    }
  }

  get hasPendingFrame(): boolean {
    return this.retireToSend.length > 0;
  }

  pollFrame(): RetireConnectionIdFrame | undefined {
    if (this.retireToSend.length === 0) return undefined;
    const seq = this.retireToSend[0]!;
    this.retireToSend = removedAt(this.retireToSend, 0);
    if (!this.retireInFlight.includes(seq)) this.retireInFlight = appended(this.retireInFlight, seq);
    return { type: 'retire_connection_id', sequenceNumber: seq };
  }

  onFrameAcked(frame: RetireConnectionIdFrame): void {
    this.retireInFlight = without(this.retireInFlight, frame.sequenceNumber);
  }

  /** RETIRE_CONNECTION_ID is resent until acknowledged (RFC 9000 §13.3). */
  onFrameLost(frame: RetireConnectionIdFrame): void {
    const before = this.retireInFlight;
    this.retireInFlight = without(before, frame.sequenceNumber);
    if (this.retireInFlight !== before && !this.retireToSend.includes(frame.sequenceNumber)) {
      this.retireToSend = appended(this.retireToSend, frame.sequenceNumber);
    }
  }

  /**
   * Whether a datagram that could not be processed is a stateless reset (RFC 9000 §10.3.1): its last
   * 16 bytes equal the token of an ID we have used and not retired. Tokens are compared in constant time.
   */
  isStatelessReset(datagram: Uint8Array): boolean {
    if (datagram.byteLength < MIN_STATELESS_RESET_LENGTH) return false;
    const tail = datagram.subarray(datagram.byteLength - STATELESS_RESET_TOKEN_LENGTH);
    let match = false;
    for (const id of this.active) {
      // Check every candidate (no early exit), keeping the time independent of which one matched.
      if (id.inUse && id.statelessResetToken !== undefined && resetTokenEquals(id.statelessResetToken, tail)) match = true;
    }
    return match;
  }

  /** Records the stateless_reset_token transport parameter for sequence 0 (the server's, §18.2). */
  setInitialResetToken(token: Uint8Array): void {
    const initial = this.get(0);
    if (initial !== undefined) this.put({ sequenceNumber: 0, connectionId: initial.connectionId, statelessResetToken: token, inUse: initial.inUse });
  }
}
