// Two StreamManagers wired back to back, standing in for the connection: control and STREAM frames are
// handed straight to the other side and acknowledged (or declared lost) at once. Deterministic.
import {
  StreamManager,
  type StreamControlFrame,
  type StreamEvent,
  type StreamLimits,
} from '../../../src/quic/streams/stream-manager.js';

export const limits = (overrides: Partial<StreamLimits> = {}): StreamLimits => ({
  maxData: 1 << 20,
  maxStreamDataBidiLocal: 1 << 16,
  maxStreamDataBidiRemote: 1 << 16,
  maxStreamDataUni: 1 << 16,
  maxStreamsBidi: 100,
  maxStreamsUni: 100,
  ...overrides,
});

export function deliverControl(to: StreamManager, f: StreamControlFrame): void {
  switch (f.type) {
    case 'max_data':
      return to.onMaxData(f.maximum);
    case 'max_stream_data':
      return to.onMaxStreamData(f.streamId, f.maximum);
    case 'max_streams':
      return to.onMaxStreams(f.direction, f.maximum);
    case 'data_blocked':
      return to.onDataBlocked(f.limit);
    case 'stream_data_blocked':
      return to.onStreamDataBlocked(f.streamId, f.limit);
    case 'streams_blocked':
      return to.onStreamsBlocked(f.direction, f.limit);
    case 'reset_stream':
      return to.onResetStream(f.streamId, f.errorCode, f.finalSize);
    case 'stop_sending':
      return to.onStopSending(f.streamId, f.errorCode);
  }
}

export interface PumpOptions {
  now?: number;
  rtt?: number;
  maxFrameBytes?: number;
  /** Called for every frame sent; true drops it (reported lost to the sender). */
  lose?: (frameNumber: number) => boolean;
  maxFrames?: number;
}

export interface Endpoint {
  readonly manager: StreamManager;
  readonly events: StreamEvent[];
  readonly controlSent: StreamControlFrame[];
}

export function makePair(clientLimits = limits(), serverLimits = limits()): { client: Endpoint; server: Endpoint } {
  const client = new StreamManager({ role: 'client', local: clientLimits });
  const server = new StreamManager({ role: 'server', local: serverLimits });
  client.setPeerLimits(serverLimits);
  server.setPeerLimits(clientLimits);
  // Setting the peer limits announces 'streams-available'; start the tests with empty queues.
  while (client.pollEvent() !== undefined);
  while (server.pollEvent() !== undefined);
  return {
    client: { manager: client, events: [], controlSent: [] },
    server: { manager: server, events: [], controlSent: [] },
  };
}

export function drainEvents(e: Endpoint): StreamEvent[] {
  const out: StreamEvent[] = [];
  for (let ev = e.manager.pollEvent(); ev !== undefined; ev = e.manager.pollEvent()) out.push(ev);
  e.events.push(...out);
  return out;
}

/** Moves frames both ways until neither side has anything to send. Returns frames moved. */
export function pump(a: Endpoint, b: Endpoint, options: PumpOptions = {}): number {
  const { now = 0, rtt = 10, maxFrameBytes = 1200, lose = () => false, maxFrames = 200_000 } = options;
  let frames = 0;
  for (let progress = true; progress; ) {
    progress = false;
    for (const [from, to] of [
      [a, b],
      [b, a],
    ] as const) {
      for (let f = from.manager.pollControlFrame(now, rtt); f !== undefined; f = from.manager.pollControlFrame(now, rtt)) {
        if (++frames > maxFrames) throw new Error('pump did not settle');
        progress = true;
        from.controlSent.push(f);
        if (lose(frames)) {
          from.manager.onControlFrameLost(f);
        } else {
          deliverControl(to.manager, f);
          from.manager.onControlFrameAcked(f);
        }
      }
      for (let s = from.manager.pollStreamFrame(maxFrameBytes); s !== undefined; s = from.manager.pollStreamFrame(maxFrameBytes)) {
        if (++frames > maxFrames) throw new Error('pump did not settle');
        progress = true;
        const sent = { streamId: s.streamId, offset: s.offset, length: s.data.byteLength, fin: s.fin };
        if (lose(frames)) {
          from.manager.onStreamFrameLost(sent);
        } else {
          to.manager.onStreamFrame(s.streamId, s.offset, s.data, s.fin);
          from.manager.onStreamFrameAcked(sent);
        }
      }
    }
  }
  return frames;
}

/** Reads everything readable on every stream with a pending readable event. */
export function readAvailable(e: Endpoint, received: Map<number, Uint8Array[]>): StreamEvent[] {
  const events = drainEvents(e);
  for (const ev of events) {
    if (ev.type !== 'readable') continue;
    for (let chunk = e.manager.read(ev.streamId); chunk !== undefined; chunk = e.manager.read(ev.streamId)) {
      const list = received.get(ev.streamId) ?? [];
      list.push(chunk);
      received.set(ev.streamId, list);
    }
  }
  return events;
}
