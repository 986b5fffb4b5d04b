// Public surface of the stream layer, for the connection state machine.
export * from './transport-error.js';
export * from './stream-id.js';
export { StreamManager, DEFAULT_MAX_STREAM_WINDOW, DEFAULT_MAX_CONNECTION_WINDOW, CONNECTION_WINDOW_MULTIPLIER } from './stream-manager.js';
export type {
  StreamLimits,
  StreamManagerOptions,
  StreamEvent,
  StreamControlFrame,
  OutgoingStreamFrame,
  SentStreamFrame,
} from './stream-manager.js';
export type { ApplicationErrorCode } from './send-stream.js';
export type { SendState, RecvState } from './stream-state.js';
export { MAX_STREAM_CONTROL_FRAME_SIZE, streamFrameOverhead, varintSize } from './frame-size.js';
export { DEFAULT_SEND_HIGH_WATER_MARK } from './send-buffer.js';
export { DEFAULT_MAX_RECEIVE_GAPS } from './receive-buffer.js';
export { DEFAULT_URGENCY, URGENCY_LEVELS } from './send-scheduler.js';
