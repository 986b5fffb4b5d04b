// The connection IDs we issue to the peer (RFC 9000 §5.1.1): sequence numbers, stateless reset
// tokens, NEW_CONNECTION_ID frames up to the peer's active_connection_id_limit, and RETIRE_CONNECTION_ID
// from the peer (§19.16). The endpoint routes incoming datagrams by these IDs, so every change is
// also reported as an event to update its routing table.
import { LocalStreamError, StreamError, TransportErrorCode } from '../streams/transport-error.js';
import {
  type ConnectionId,
  MAX_CONNECTION_ID_LENGTH,
  MIN_ACTIVE_CONNECTION_ID_LIMIT,
  STATELESS_RESET_TOKEN_LENGTH,
  connectionIdEquals,
} from './connection-id.js';
import { appended, indexOfSequence, NO_ENTRIES, removedAt, without } from './small-list.js';

/** We never keep more than this many IDs issued, whatever the peer allows. */
export const DEFAULT_MAX_ISSUED_CONNECTION_IDS = 8;
/** Attempts to draw an unused random connection ID before giving up. */
export const CONNECTION_ID_GENERATION_ATTEMPTS = 8;

export interface LocalConnectionIdOptions {
  /** The ID with sequence number 0: the Source Connection ID of our handshake packets (§5.1.1). */
  initial: ConnectionId;
  /** Length of the IDs we issue; 0 means zero-length IDs, which never change (§5.1). */
  length: number;
  /** Injected randomness: n random bytes. */
  random: (n: number) => Uint8Array;
  /**
   * Stateless reset token for an ID: a function of the ID alone (RFC 9000 §10.3.2, an HMAC of the ID under
   * a static key), so it is computed when a frame or event needs it rather than stored with every ID.
   */
  resetToken: (cid: ConnectionId) => Uint8Array;
  /** Whether an ID is already routed to any connection of the endpoint (uniqueness, §5.1). */
  isInUse?: (cid: ConnectionId) => boolean;
  maxIssued?: number;
}

export interface IssuedConnectionId {
  readonly sequenceNumber: number;
  readonly connectionId: ConnectionId;
  readonly statelessResetToken: Uint8Array;
}

/** RFC 9000 §19.15. */
export interface NewConnectionIdFrame extends IssuedConnectionId {
  readonly type: 'new_connection_id';
  readonly retirePriorTo: number;
}

export type LocalConnectionIdEvent =
  | {
      readonly type: 'issued';
      readonly sequenceNumber: number;
      readonly connectionId: ConnectionId;
      readonly statelessResetToken: Uint8Array;
    }
  | { readonly type: 'retired'; readonly sequenceNumber: number; readonly connectionId: ConnectionId };

/**
 * What is kept per issued ID. Its token is derived again when needed (LocalConnectionIdOptions.resetToken),
 * except between issuing and the first NEW_CONNECTION_ID: the token derived for the 'issued' event rides
 * along to that frame (one HMAC per ID instead of two), then is dropped so idle connections keep no tokens.
 */
interface StoredLocalId {
  readonly sequenceNumber: number;
  readonly connectionId: ConnectionId;
  unsentToken: Uint8Array | undefined;
}

export class LocalConnectionIds {
  private readonly options: LocalConnectionIdOptions;
  private readonly maxIssued: number;
  // Small copy-on-write lists, not a Map and a Set: see small-list.ts (memory per idle connection).
  /** The IDs issued and not retired, in the order issued (ascending sequence numbers). */
  private active: readonly StoredLocalId[];
  /** Sequence numbers whose NEW_CONNECTION_ID is to be sent, oldest first. */
  private pending: readonly number[] = NO_ENTRIES;
  private nextSequence = 1;
  /** IDs below this were asked to be retired (retire_prior_to, RFC 9000 §5.1.2). */
  private retirePriorTo = 0;
  private highestSent = 0;
  private peerLimit = MIN_ACTIVE_CONNECTION_ID_LIMIT;
  private events: LocalConnectionIdEvent[] = [];

  constructor(options: LocalConnectionIdOptions) {
    if (options.length < 0 || options.length > MAX_CONNECTION_ID_LENGTH) {
      throw new LocalStreamError('ERR_INVALID_ARGUMENT', `connection ID length ${options.length} not in 0..20`);
    }
    this.options = options;
    this.maxIssued = Math.max(options.maxIssued ?? DEFAULT_MAX_ISSUED_CONNECTION_IDS, 1);
    this.active = [{ sequenceNumber: 0, connectionId: options.initial, unsentToken: undefined }];
  }

  /** The stateless reset token of one of our IDs (zero-length IDs have none to derive: zeros, §10.3). */
  private tokenFor(cid: ConnectionId): Uint8Array {
    return this.options.length > 0 ? this.options.resetToken(cid) : new Uint8Array(STATELESS_RESET_TOKEN_LENGTH);
  }

  private get(sequenceNumber: number): StoredLocalId | undefined {
    const i = indexOfSequence(this.active, sequenceNumber);
    return i < 0 ? undefined : this.active[i];
  }

  /** The peer's active_connection_id_limit transport parameter (RFC 9000 §18.2). */
  setPeerActiveLimit(limit: number): void {
    if (limit < MIN_ACTIVE_CONNECTION_ID_LIMIT) {
      // Rejected as TRANSPORT_PARAMETER_ERROR by the transport parameter decoder (§18.2).
      throw new LocalStreamError('ERR_INVALID_ARGUMENT', `active_connection_id_limit ${limit} below 2`);
    }
    this.peerLimit = limit;
  }

  /** The IDs currently valid for routing to this connection. */
  activeIds(): IssuedConnectionId[] {
    return this.active.map((id) => ({ sequenceNumber: id.sequenceNumber, connectionId: id.connectionId, statelessResetToken: this.tokenFor(id.connectionId) }));
  }

  /** Sequence number of an ID we issued and that is still active. */
  sequenceOf(cid: ConnectionId): number | undefined {
    for (const issued of this.active) {
      if (connectionIdEquals(issued.connectionId, cid)) return issued.sequenceNumber;
    }
    return undefined;
  }

  /**
   * Issues IDs until the peer holds as many as it allows (RFC 9000 §5.1.1: an endpoint MUST NOT
   * provide more than the peer's limit). Call once the handshake is confirmed enough to send 1-RTT.
   */
  replenish(): void {
    if (this.options.length === 0) return; // zero-length IDs cannot be changed (§5.1)
    const target = Math.min(this.peerLimit, this.maxIssued);
    // IDs below retire_prior_to do not count against the peer's limit: it retires them before adding
    // the new ones (§5.1.2). They stay routable until the peer's RETIRE_CONNECTION_ID, so memory is
    // bounded separately, by twice our own cap.
    while (this.countNotRetiring() < target && this.active.length < 2 * this.maxIssued) {
      const seq = this.nextSequence++;
      const cid = this.generate();
      const token = this.options.resetToken(cid);
      if (token.byteLength !== STATELESS_RESET_TOKEN_LENGTH) {
        throw new LocalStreamError('ERR_INVALID_ARGUMENT', `stateless reset token of ${token.byteLength} bytes`);
      }
      this.active = appended(this.active, { sequenceNumber: seq, connectionId: cid, unsentToken: token });
      this.pending = appended(this.pending, seq);
      this.events.push({ type: 'issued', sequenceNumber: seq, connectionId: cid, statelessResetToken: token });
    }
  }

  private countNotRetiring(): number {
    let n = 0;
    for (const issued of this.active) if (issued.sequenceNumber >= this.retirePriorTo) n++;
    return n;
  }

  /**
   * Asks the peer to retire every ID issued so far (RFC 9000 §5.1.2, e.g. to limit linkability) and
   * issues replacements; the NEW_CONNECTION_ID frames carry the raised retire_prior_to.
   */
  rotate(): void {
    if (this.options.length === 0) return;
    this.retirePriorTo = this.nextSequence;
    this.replenish();
  }

  private generate(): ConnectionId {
    for (let attempt = 0; attempt < CONNECTION_ID_GENERATION_ATTEMPTS; attempt++) {
      const cid = this.options.random(this.options.length);
      const clash =
        this.options.isInUse?.(cid) === true || this.active.some((a) => connectionIdEquals(a.connectionId, cid));
      if (!clash) return cid;
    }
    throw new LocalStreamError('ERR_CID_EXHAUSTED', 'could not draw an unused connection ID');
  }

  get hasPendingFrame(): boolean {
    return this.pending.length > 0;
  }

  /** The next NEW_CONNECTION_ID frame to send, with the current retire_prior_to. */
  pollFrame(): NewConnectionIdFrame | undefined {
    // Each iteration drops the oldest pending entry: bounded by the list's length.
    while (this.pending.length > 0) {
      const seq = this.pending[0]!;
      this.pending = removedAt(this.pending, 0);
      const issued = this.get(seq);
      // An ID we already asked to retire is not worth announcing (a lost frame resent late).
      if (issued === undefined || seq < this.retirePriorTo) continue;
      this.highestSent = Math.max(this.highestSent, seq);
      // The token is a function of the ID (RFC 9000 §10.3.2): the one derived at issue time is the same bytes.
      const statelessResetToken = issued.unsentToken ?? this.tokenFor(issued.connectionId);
      issued.unsentToken = undefined;
      return {
        type: 'new_connection_id',
        retirePriorTo: this.retirePriorTo,
        sequenceNumber: seq,
        connectionId: issued.connectionId,
        statelessResetToken,
      };
    }
    return undefined;
  }

  /** A NEW_CONNECTION_ID frame was lost: resend while the ID is still active (RFC 9000 §13.3). */
  onFrameLost(frame: NewConnectionIdFrame): void {
    const seq = frame.sequenceNumber;
    if (indexOfSequence(this.active, seq) >= 0 && !this.pending.includes(seq)) this.pending = appended(this.pending, seq);
  }

  /**
   * RETIRE_CONNECTION_ID (RFC 9000 §19.16). `arrivedOn` is the sequence number of the ID the packet
   * carrying the frame was sent to: retiring that one is a PROTOCOL_VIOLATION too. A retired ID is
   * replaced by the next replenish().
   */
  onRetire(sequenceNumber: number, arrivedOn?: number): void {
    if (this.options.length === 0) {
      throw new StreamError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        'RETIRE_CONNECTION_ID while using zero-length connection IDs',
      );
    }
    if (sequenceNumber > this.highestSent) {
      throw new StreamError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        `RETIRE_CONNECTION_ID for sequence ${sequenceNumber}, never sent (highest ${this.highestSent})`,
      );
    }
    if (arrivedOn !== undefined && arrivedOn === sequenceNumber) {
      throw new StreamError(
        TransportErrorCode.PROTOCOL_VIOLATION,
        `RETIRE_CONNECTION_ID for sequence ${sequenceNumber}, the ID the packet was sent to`,
      );
    }
    const i = indexOfSequence(this.active, sequenceNumber);
    if (i < 0) return; // already retired: a retransmission
    const issued = this.active[i]!;
    this.active = removedAt(this.active, i);
    this.pending = without(this.pending, sequenceNumber);
    this.events.push({ type: 'retired', sequenceNumber, connectionId: issued.connectionId });
  }

  /** Routing changes for the endpoint, oldest first. */
  pollEvent(): LocalConnectionIdEvent | undefined {
    const ev = this.events.shift();
    // Drained (the endpoint empties it at once): a fresh array, so the old one's spare capacity goes.
    if (ev !== undefined && this.events.length === 0) this.events = [];
    return ev;
  }
}
