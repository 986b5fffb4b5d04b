// The sending part of a stream (RFC 9000 §3.1): the send buffer, the stream's send credit and the
// send state machine, plus RESET_STREAM and the answer to STOP_SENDING (§3.5). Connection-level
// credit is owned by the StreamManager and passed in.
import { SendBuffer, type SendChunk } from './send-buffer.js';
import { SendFlowController } from './flow-control.js';
import { SendStateMachine, type SendState } from './stream-state.js';

/** An application protocol error code carried by RESET_STREAM / STOP_SENDING (RFC 9000 §20.2). */
export type ApplicationErrorCode = number;

export interface SendStreamOptions {
  /** The peer's initial MAX_STREAM_DATA for this stream (transport parameters, RFC 9000 §18.2). */
  initialLimit: number;
  highWaterMark?: number;
}

/** What nextChunk produced: the frame payload and how much new connection credit it used. */
export interface SentChunk {
  readonly chunk: SendChunk;
  readonly newBytes: number;
}

export interface ResetStreamValues {
  readonly errorCode: ApplicationErrorCode;
  readonly finalSize: number;
}

export class SendStream {
  readonly machine = new SendStateMachine();
  readonly buffer: SendBuffer;
  readonly flow: SendFlowController;
  private reset: ResetStreamValues | undefined;
  private resetPending = false;

  constructor(options: SendStreamOptions) {
    this.buffer = new SendBuffer({ highWaterMark: options.highWaterMark });
    this.flow = new SendFlowController(options.initialLimit);
  }

  get state(): SendState {
    return this.machine.state;
  }

  /** The reset we sent, if any. */
  get resetValues(): ResetStreamValues | undefined {
    return this.reset;
  }

  /** Application write: false means backpressure (wait for a writable event). */
  write(data: Uint8Array): boolean {
    return this.buffer.write(data);
  }

  finish(): void {
    this.buffer.finish();
  }

  /** Data (or a FIN) could go out now, given `connectionCredit` bytes of connection-level credit. */
  canSend(connectionCredit: number): boolean {
    if (!this.machine.canReset) return false;
    if (this.buffer.hasRetransmission) return true;
    if (this.buffer.unsentBytes > 0) return Math.min(this.flow.available, connectionCredit) > 0;
    return this.buffer.hasPendingData;
  }

  /** New data is waiting on this stream's own credit (not the connection's). */
  get isBlockedByStreamLimit(): boolean {
    return this.machine.canReset && this.buffer.unsentBytes > 0 && this.flow.available === 0;
  }

  /**
   * The next STREAM frame payload of at most maxBytes data bytes. New data stays within both the
   * stream limit and `connectionCredit` (RFC 9000 §4.1); retransmissions and a bare FIN need none.
   */
  nextChunk(maxBytes: number, connectionCredit: number): SentChunk | undefined {
    if (!this.machine.canReset) return undefined;
    const before = this.buffer.sentOffset;
    const newDataLimit = Math.min(this.flow.limit, before + Math.max(0, connectionCredit));
    const chunk = this.buffer.nextChunk(maxBytes, newDataLimit);
    if (chunk === undefined) {
      if (this.isBlockedByStreamLimit) this.flow.onBlocked();
      return undefined;
    }
    const newBytes = this.buffer.sentOffset - before;
    this.flow.consume(newBytes);
    // Retransmissions also happen in Data Sent, where the state does not change.
    if (this.machine.state === 'ready') this.machine.onSend();
    if (chunk.fin && this.machine.state === 'send') this.machine.onFinSent();
    // RFC 9000 §4.1: report being blocked as soon as the credit runs out with data still waiting.
    if (this.isBlockedByStreamLimit) this.flow.onBlocked();
    return { chunk, newBytes };
  }

  /** STREAM_DATA_BLOCKED to send, if any (it moves Ready to Send too, RFC 9000 §3.1). */
  takeBlocked(): number | undefined {
    if (!this.machine.canReset) return undefined;
    const limit = this.flow.takeBlocked();
    if (limit !== undefined && this.machine.state === 'ready') this.machine.onSend();
    return limit;
  }

  onAcked(offset: number, length: number, fin: boolean): void {
    if (this.machine.state === 'reset-sent' || this.machine.isTerminal) return;
    this.buffer.onAcked(offset, length, fin);
    if (this.machine.state === 'data-sent' && this.buffer.isAllAcked) this.machine.onAllAcked();
  }

  onLost(offset: number, length: number, fin: boolean): void {
    // RFC 9000 §3.1: after a reset, lost stream data is not retransmitted.
    if (!this.machine.canReset) return;
    this.buffer.onLost(offset, length, fin);
  }

  /** A MAX_STREAM_DATA frame; returns true if it raised the limit. */
  onMaxStreamData(maximum: number): boolean {
    return this.flow.updateLimit(maximum);
  }

  /**
   * Abandons sending (RFC 9000 §3.1, §19.4): queues RESET_STREAM whose final size is the credit
   * consumed so far (§4.5). Returns false when it is too late (all data acknowledged or already reset).
   */
  resetStream(errorCode: ApplicationErrorCode): boolean {
    if (!this.machine.canReset) return false;
    this.reset = { errorCode, finalSize: this.buffer.sentOffset };
    this.buffer.discard();
    this.machine.onResetSent();
    this.resetPending = true;
    return true;
  }

  /**
   * STOP_SENDING from the peer (RFC 9000 §3.5): answer with RESET_STREAM carrying the peer's error
   * code (SHOULD copy it). In Data Sent we MAY wait for acknowledgments, but resetting at once is
   * simpler and also allowed. Returns true if a reset was queued.
   */
  onStopSending(errorCode: ApplicationErrorCode): boolean {
    return this.resetStream(errorCode);
  }

  get hasResetFrame(): boolean {
    return this.resetPending;
  }

  takeReset(): ResetStreamValues | undefined {
    if (!this.resetPending) return undefined;
    this.resetPending = false;
    return this.reset;
  }

  onResetAcked(): void {
    if (this.machine.state === 'reset-sent') this.machine.onResetAcked();
  }

  onResetLost(): void {
    // RFC 9000 §13.3: RESET_STREAM is resent until acknowledged.
    if (this.machine.state === 'reset-sent') this.resetPending = true;
  }

  onBlockedFrameLost(limit: number): void {
    if (this.machine.canReset) this.flow.onBlockedFrameLost(limit);
  }

  get isClosed(): boolean {
    return this.machine.isTerminal;
  }
}
