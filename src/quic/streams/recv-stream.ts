// The receiving part of a stream (RFC 9000 §3.2): reassembly, the stream's receive window and the
// receive state machine, RESET_STREAM handling and STOP_SENDING (§3.5). The connection-level window is
// owned by the StreamManager and passed in, since every stream's data counts against it (§4.1).
import { ReceiveBuffer, type ReceiveBufferOptions } from './receive-buffer.js';
import { ReceiveFlowController } from './flow-control.js';
import { RecvStateMachine, type RecvState } from './stream-state.js';
import type { ApplicationErrorCode } from './send-stream.js';
import { StreamError, TransportErrorCode } from './transport-error.js';

export interface RecvStreamOptions extends ReceiveBufferOptions {
  /** Our initial MAX_STREAM_DATA for this stream (what we advertised in transport parameters). */
  initialWindow: number;
  /** Auto-tuning cap for this stream's window. */
  maxWindow?: number;
}

export class RecvStream {
  readonly machine = new RecvStateMachine();
  readonly buffer: ReceiveBuffer;
  readonly flow: ReceiveFlowController;
  private _resetCode: ApplicationErrorCode | undefined;
  private stopSendingCode: ApplicationErrorCode | undefined;
  private stopSendingPending = false;

  constructor(
    readonly streamId: number,
    options: RecvStreamOptions,
  ) {
    this.buffer = new ReceiveBuffer(options);
    this.flow = new ReceiveFlowController({ initialWindow: options.initialWindow, maxWindow: options.maxWindow });
  }

  get state(): RecvState {
    return this.machine.state;
  }

  get resetCode(): ApplicationErrorCode | undefined {
    return this._resetCode;
  }

  /** We asked the peer to stop (STOP_SENDING): arriving data is discarded. */
  get isStopped(): boolean {
    return this.stopSendingCode !== undefined;
  }

  /**
   * A STREAM frame. Checks final size (RFC 9000 §4.5), then stream and connection credit (§4.1), then
   * stores the data. Throws StreamError on a violation; the connection closes with its code.
   */
  onData(offset: number, data: Uint8Array, fin: boolean, connection: ReceiveFlowController): void {
    const end = offset + data.byteLength;
    this.buffer.checkFinalSize(offset, data.byteLength, fin);
    const growth = Math.max(0, end - this.buffer.highestOffset);
    if (end > this.flow.limit) {
      throw new StreamError(
        TransportErrorCode.FLOW_CONTROL_ERROR,
        `stream ${this.streamId}: data up to offset ${end} exceeds the limit ${this.flow.limit}`,
      );
    }
    connection.onReceived(growth);
    this.flow.onReceived(growth, `stream ${this.streamId}`);
    if (!this.machine.isReceiving) {
      // RFC 9000 §3.2: in Data Recvd and later, or after a reset, further data is only checked.
      return;
    }
    this.buffer.insert(offset, data, fin);
    if (fin) this.machine.onFinalSizeKnown();
    if (this.isStopped) this.dropUnread(connection);
    this.checkComplete();
  }

  private checkComplete(): void {
    if (this.machine.state === 'size-known' && this.buffer.isComplete) this.machine.onAllReceived();
    if (this.machine.state === 'data-recvd' && this.buffer.isFinished) this.machine.onAllRead();
  }

  private dropUnread(connection: ReceiveFlowController): void {
    // Everything up to the highest offset counts as consumed, gaps included: the bytes were already
    // charged to both windows, and a late retransmission below it is then simply ignored.
    const dropped = this.buffer.discard(this.buffer.highestOffset);
    this.flow.onConsumed(dropped);
    connection.onConsumed(dropped);
  }

  /**
   * RESET_STREAM (RFC 9000 §19.4). The final size is checked like a FIN (§4.5) and counts against
   * both windows; the unread bytes are released to the connection window. Returns true when the stream
   * moved to Reset Recvd (the application must be told); false when all data had already arrived (we
   * then deliver the data and ignore the reset, as §3.2 permits) or the stream was already reset.
   */
  onReset(errorCode: ApplicationErrorCode, finalSize: number, connection: ReceiveFlowController): boolean {
    this.buffer.checkFinalSize(finalSize, 0, true);
    if (finalSize > this.flow.limit) {
      throw new StreamError(
        TransportErrorCode.FLOW_CONTROL_ERROR,
        `stream ${this.streamId}: final size ${finalSize} exceeds the limit ${this.flow.limit}`,
      );
    }
    const growth = Math.max(0, finalSize - this.buffer.highestOffset);
    connection.onReceived(growth);
    this.flow.onReceived(growth, `stream ${this.streamId}`);
    this.buffer.setFinalSize(finalSize);
    if (!this.machine.isReceiving) return false;
    this.machine.onReset();
    this._resetCode = errorCode;
    this.stopSendingPending = false;
    const unread = this.buffer.discard(finalSize);
    this.flow.onConsumed(unread);
    connection.onConsumed(unread);
    return true;
  }

  /** The application learned of the reset: Reset Recvd -> Reset Read. */
  onResetDelivered(): void {
    if (this.machine.state === 'reset-recvd') this.machine.onResetRead();
  }

  /** Application read; releases credit in both windows. */
  read(maxBytes: number, connection: ReceiveFlowController): Uint8Array | undefined {
    if (this.isStopped) return undefined;
    const data = this.buffer.read(maxBytes);
    if (data !== undefined) {
      this.flow.onConsumed(data.byteLength);
      connection.onConsumed(data.byteLength);
    }
    this.checkComplete();
    return data;
  }

  /**
   * The application no longer wants data (RFC 9000 §3.5): queue STOP_SENDING, drop what is buffered.
   * Returns false when there is nothing to stop (all data received, or reset).
   */
  stopSending(errorCode: ApplicationErrorCode, connection: ReceiveFlowController): boolean {
    if (!this.machine.isReceiving || this.isStopped) return false;
    this.stopSendingCode = errorCode;
    this.stopSendingPending = true;
    this.dropUnread(connection);
    this.checkComplete();
    return true;
  }

  get hasStopSendingFrame(): boolean {
    // RFC 9000 §3.5: STOP_SENDING only makes sense while the peer may still be sending.
    return this.stopSendingPending && this.machine.isReceiving;
  }

  takeStopSending(): ApplicationErrorCode | undefined {
    if (!this.hasStopSendingFrame) return undefined;
    this.stopSendingPending = false;
    return this.stopSendingCode;
  }

  onStopSendingLost(): void {
    if (this.isStopped && this.machine.isReceiving) this.stopSendingPending = true;
  }

  /** MAX_STREAM_DATA is only useful in Recv (RFC 9000 §3.2: not once the final size is known). */
  get wantsWindowUpdate(): boolean {
    return this.machine.state === 'recv' && this.flow.needsUpdate;
  }

  takeMaxStreamData(now: number, smoothedRtt: number): number | undefined {
    if (this.machine.state !== 'recv') return undefined;
    return this.flow.takeUpdate(now, smoothedRtt);
  }

  onMaxStreamDataLost(limit: number): void {
    if (this.machine.state === 'recv') this.flow.onUpdateLost(limit);
  }

  get isClosed(): boolean {
    return this.machine.isTerminal;
  }
}
