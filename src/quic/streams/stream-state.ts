// The sending and receiving stream state machines of RFC 9000 §3.1 (Figure 2) and §3.2 (Figure 3).
// They only track states; the owning SendStream/RecvStream decides when an event happened. An event
// that is impossible in the current state is a bug in the caller, reported as a LocalStreamError:
// peer-caused violations are detected before reaching here and raised as StreamError.
import { LocalStreamError } from './transport-error.js';

/** RFC 9000 §3.1. */
export type SendState = 'ready' | 'send' | 'data-sent' | 'data-recvd' | 'reset-sent' | 'reset-recvd';
/** RFC 9000 §3.2. */
export type RecvState = 'recv' | 'size-known' | 'data-recvd' | 'data-read' | 'reset-recvd' | 'reset-read';

function illegal(machine: string, from: string, event: string): never {
  throw new LocalStreamError('ERR_STREAM_ILLEGAL_TRANSITION', `${machine}: ${event} in state ${from}`);
}

export class SendStateMachine {
  private _state: SendState = 'ready';

  get state(): SendState {
    return this._state;
  }

  /** Terminal states (RFC 9000 §3.1: "Data Recvd" and "Reset Recvd"). */
  get isTerminal(): boolean {
    return this._state === 'data-recvd' || this._state === 'reset-recvd';
  }

  /** A reset can still be sent: Ready, Send or Data Sent (RFC 9000 §3.1). */
  get canReset(): boolean {
    return this._state === 'ready' || this._state === 'send' || this._state === 'data-sent';
  }

  /** First STREAM or STREAM_DATA_BLOCKED frame sent: Ready -> Send. Later calls in Send are no-ops. */
  onSend(): void {
    if (this._state === 'ready') this._state = 'send';
    else if (this._state !== 'send') illegal('send stream', this._state, 'send');
  }

  /** The STREAM frame with FIN was sent: Ready/Send -> Data Sent. */
  onFinSent(): void {
    if (this._state === 'ready' || this._state === 'send') this._state = 'data-sent';
    else if (this._state !== 'data-sent') illegal('send stream', this._state, 'FIN sent');
  }

  /** All data and the FIN acknowledged: Data Sent -> Data Recvd. */
  onAllAcked(): void {
    if (this._state === 'data-sent') this._state = 'data-recvd';
    else illegal('send stream', this._state, 'all data acknowledged');
  }

  /** RESET_STREAM sent: Ready/Send/Data Sent -> Reset Sent. */
  onResetSent(): void {
    if (this.canReset) this._state = 'reset-sent';
    else illegal('send stream', this._state, 'RESET_STREAM sent');
  }

  /** RESET_STREAM acknowledged: Reset Sent -> Reset Recvd. */
  onResetAcked(): void {
    if (this._state === 'reset-sent') this._state = 'reset-recvd';
    else illegal('send stream', this._state, 'RESET_STREAM acknowledged');
  }
}

export class RecvStateMachine {
  private _state: RecvState = 'recv';

  get state(): RecvState {
    return this._state;
  }

  /** Terminal states (RFC 9000 §3.2: "Data Read" and "Reset Read"). */
  get isTerminal(): boolean {
    return this._state === 'data-read' || this._state === 'reset-read';
  }

  /** Still accepting data: Recv or Size Known. */
  get isReceiving(): boolean {
    return this._state === 'recv' || this._state === 'size-known';
  }

  /** A STREAM frame with FIN: Recv -> Size Known. Repeats in later states are no-ops. */
  onFinalSizeKnown(): void {
    if (this._state === 'recv') this._state = 'size-known';
  }

  /** All data up to the final size received: Size Known -> Data Recvd. */
  onAllReceived(): void {
    if (this._state === 'size-known') this._state = 'data-recvd';
    else illegal('receive stream', this._state, 'all data received');
  }

  /** The application read everything: Data Recvd -> Data Read. */
  onAllRead(): void {
    if (this._state === 'data-recvd') this._state = 'data-read';
    else illegal('receive stream', this._state, 'all data read');
  }

  /** RESET_STREAM received: Recv/Size Known -> Reset Recvd. */
  onReset(): void {
    if (this.isReceiving) this._state = 'reset-recvd';
    else illegal('receive stream', this._state, 'RESET_STREAM received');
  }

  /** The application was told of the reset: Reset Recvd -> Reset Read. */
  onResetRead(): void {
    if (this._state === 'reset-recvd') this._state = 'reset-read';
    else illegal('receive stream', this._state, 'reset read');
  }
}
