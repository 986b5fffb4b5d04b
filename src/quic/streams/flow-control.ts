// Credit-based flow control (RFC 9000 §4), one instance per stream and direction plus one per
// connection and direction. Sending: the peer's MAX_DATA/MAX_STREAM_DATA limit bounds the bytes we may
// send, and running out produces one DATA_BLOCKED/STREAM_DATA_BLOCKED per limit (§4.1). Receiving:
// a peer exceeding the limit we advertised is a FLOW_CONTROL_ERROR (§4.1); we advertise more credit
// once the application has consumed half the window (§4.2 leaves the policy to us), and grow the
// window when updates come faster than every two round trips, the auto-tuning quic-go and quiche use,
// so a fast reader is not held to one window per RTT.
import { LocalStreamError, MAX_VARINT, StreamError, TransportErrorCode } from './transport-error.js';

/** Fraction of the window that must be consumed before a window update is sent. */
export const WINDOW_UPDATE_FRACTION = 0.5;
/** Window updates closer together than this many smoothed RTTs double the window (auto-tuning). */
export const AUTOTUNE_RTT_MULTIPLE = 2;

export class SendFlowController {
  private _limit: number;
  private _used = 0;
  private blockedReportedAt = -1;
  private blockedPending = false;

  constructor(initialLimit: number) {
    this._limit = initialLimit;
  }

  get limit(): number {
    return this._limit;
  }

  get used(): number {
    return this._used;
  }

  get available(): number {
    return this._limit - this._used;
  }

  /** A MAX_DATA / MAX_STREAM_DATA value. Returns true if it raised the limit. */
  updateLimit(maximum: number): boolean {
    // RFC 9000 §4.1: a sender MUST ignore updates that do not increase the limit.
    if (maximum <= this._limit) return false;
    this._limit = maximum;
    this.blockedPending = false;
    return true;
  }

  consume(bytes: number): void {
    if (bytes > this.available) {
      throw new LocalStreamError('ERR_INVALID_ARGUMENT', `sending ${bytes} bytes with ${this.available} credit`);
    }
    this._used += bytes;
  }

  /**
   * The sender has data but no credit. Queues a *_BLOCKED frame once per limit (RFC 9000 §4.1: SHOULD
   * send when blocked; repeating it for the same limit carries no news).
   */
  onBlocked(): void {
    if (this.available > 0 || this.blockedReportedAt === this._limit) return;
    this.blockedReportedAt = this._limit;
    this.blockedPending = true;
  }

  get hasBlockedFrame(): boolean {
    return this.blockedPending;
  }

  /** The limit to report in DATA_BLOCKED / STREAM_DATA_BLOCKED, once. */
  takeBlocked(): number | undefined {
    if (!this.blockedPending) return undefined;
    this.blockedPending = false;
    return this._limit;
  }

  /** A *_BLOCKED frame was lost: resend only if still blocked at that same limit. */
  onBlockedFrameLost(limit: number): void {
    if (limit === this._limit && this.available === 0) this.blockedPending = true;
  }
}

export interface ReceiveFlowOptions {
  /** Initial window: the limit advertised in the transport parameters. */
  initialWindow: number;
  /** Auto-tuning never grows the window beyond this. Defaults to the initial window (no growth). */
  maxWindow?: number;
}

export class ReceiveFlowController {
  private _limit: number;
  private _window: number;
  private readonly maxWindow: number;
  private _received = 0;
  private _consumed = 0;
  private lastUpdateAt: number | undefined;
  private forcedUpdate = false;

  constructor(options: ReceiveFlowOptions) {
    this._window = options.initialWindow;
    this._limit = options.initialWindow;
    this.maxWindow = Math.max(options.maxWindow ?? options.initialWindow, options.initialWindow);
  }

  /** The limit we last advertised. */
  get limit(): number {
    return this._limit;
  }

  get window(): number {
    return this._window;
  }

  get received(): number {
    return this._received;
  }

  get consumed(): number {
    return this._consumed;
  }

  /**
   * `bytes` new bytes of credit were used by the peer (for a stream: growth of its highest received
   * offset; for the connection: the sum over streams, RFC 9000 §4.5). Throws FLOW_CONTROL_ERROR when
   * the peer goes beyond the limit we advertised (RFC 9000 §4.1).
   */
  onReceived(bytes: number, what = 'connection'): void {
    if (bytes <= 0) return;
    if (this._received + bytes > this._limit) {
      throw new StreamError(
        TransportErrorCode.FLOW_CONTROL_ERROR,
        `${what}: peer sent up to ${this._received + bytes} bytes, limit is ${this._limit}`,
      );
    }
    this._received += bytes;
  }

  /** Whether `bytes` more would exceed the limit, without recording anything. */
  wouldExceed(bytes: number): boolean {
    return this._received + bytes > this._limit;
  }

  /** The application consumed (read, or a reset released) `bytes`. */
  onConsumed(bytes: number): void {
    this._consumed = Math.min(this._consumed + bytes, this._received);
  }

  /** An update is due: half the window consumed, or the last update was lost. */
  get needsUpdate(): boolean {
    if (this.forcedUpdate) return true;
    const remaining = this._limit - this._consumed;
    // Only when the update would actually raise the limit (a zero window never advertises anything).
    return remaining <= this._window * WINDOW_UPDATE_FRACTION && this._consumed + this._window > this._limit;
  }

  /**
   * Returns the new limit to advertise in MAX_DATA / MAX_STREAM_DATA, or undefined if no update is
   * due. `now` (ms) and `smoothedRtt` (ms) drive auto-tuning: an update needed within
   * AUTOTUNE_RTT_MULTIPLE RTTs of the previous one means the reader is faster than the window allows.
   */
  takeUpdate(now: number, smoothedRtt: number): number | undefined {
    if (!this.needsUpdate) return undefined;
    const tooSoon =
      this.lastUpdateAt !== undefined &&
      smoothedRtt > 0 &&
      now - this.lastUpdateAt < AUTOTUNE_RTT_MULTIPLE * smoothedRtt;
    if (tooSoon && !this.forcedUpdate) this._window = Math.min(this._window * 2, this.maxWindow);
    this.lastUpdateAt = now;
    this.forcedUpdate = false;
    this._limit = Math.max(this._limit, Math.min(this._consumed + this._window, MAX_VARINT));
    return this._limit;
  }

  /** A MAX_DATA / MAX_STREAM_DATA frame was lost: resend the limit unless a newer one went out. */
  onUpdateLost(limit: number): void {
    if (limit === this._limit) this.forcedUpdate = true;
  }

  /** Raises the window to at least `size` (capped by maxWindow); used to keep the connection window above the stream windows. */
  ensureMinimumWindow(size: number): void {
    if (size > this._window) this._window = Math.min(size, this.maxWindow);
  }
}
