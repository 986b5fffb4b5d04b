// Translation between the stream and connection-ID layers' frame descriptions and wire frames
// (RFC 9000 §19.4-§19.16), so those layers stay independent of the wire codec.
import type { ConnectionIdFrame } from '../cid/connection-id-manager.js';
import type { StreamControlFrame } from '../streams/stream-manager.js';
import type { Frame } from '../wire/frame-types.js';

export function streamControlToWire(f: StreamControlFrame): Frame {
  switch (f.type) {
    case 'max_data':
      return { kind: 'max_data', maximum: f.maximum };
    case 'max_stream_data':
      return { kind: 'max_stream_data', streamId: f.streamId, maximum: f.maximum };
    case 'max_streams':
      return { kind: 'max_streams', bidirectional: f.direction === 'bidi', maximum: f.maximum };
    case 'data_blocked':
      return { kind: 'data_blocked', limit: f.limit };
    case 'stream_data_blocked':
      return { kind: 'stream_data_blocked', streamId: f.streamId, limit: f.limit };
    case 'streams_blocked':
      return { kind: 'streams_blocked', bidirectional: f.direction === 'bidi', limit: f.limit };
    case 'reset_stream':
      return { kind: 'reset_stream', streamId: f.streamId, errorCode: f.errorCode, finalSize: f.finalSize };
    case 'stop_sending':
      return { kind: 'stop_sending', streamId: f.streamId, errorCode: f.errorCode };
  }
}

export function cidFrameToWire(f: ConnectionIdFrame): Frame {
  if (f.type === 'retire_connection_id') return { kind: 'retire_connection_id', sequenceNumber: f.sequenceNumber };
  return {
    kind: 'new_connection_id',
    sequenceNumber: f.sequenceNumber,
    retirePriorTo: f.retirePriorTo,
    connectionId: f.connectionId,
    statelessResetToken: f.statelessResetToken,
  };
}
