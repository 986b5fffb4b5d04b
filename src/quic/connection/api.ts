// The public face of the sans-IO QUIC connection (DESIGN.md, "The QUIC core"). The endpoint (Node shell:
// UDP sockets, timers, demultiplexing) and the tests drive a QuicConnection only through this surface:
// datagrams and time in; datagrams, timers and events out. No sockets or clocks inside the connection.
import type { ConnectionStats } from './connection-stats.js';
import type { TransportParameters } from '../wire/transport-parameters.js';

/** A network path as the endpoint sees it: "ip:port" strings ("127.0.0.1:4433", "[::1]:4433"). */
export interface PathAddress {
  local: string;
  remote: string;
}

/** How a connection ended (RFC 9000 §10). */
export interface ConnectionCloseInfo {
  /** Transport error code (RFC 9000 §20.1) or application error code when `application` is true. */
  code: number;
  application: boolean;
  reason: string;
  /** The frame type that triggered a transport error, when known. */
  frameType?: number;
  /** true when the peer closed (CONNECTION_CLOSE received or stateless reset). */
  remote: boolean;
  /** 'idle' for the idle timeout (RFC 9000 §10.1), 'stateless-reset' (§10.3), 'handshake-timeout'. */
  cause?: 'idle' | 'stateless-reset' | 'handshake-timeout' | 'close';
}

export type ConnectionEvent =
  | { type: 'handshake-complete'; alpn: string; serverName?: string; resumed: boolean; earlyData: 'accepted' | 'rejected' | 'none' }
  /** RFC 9001 §4.1.2: HANDSHAKE_DONE received (client) or sent and acknowledged (server). */
  | { type: 'handshake-confirmed' }
  /** A stream the peer opened. */
  | { type: 'stream-opened'; streamId: number }
  | { type: 'stream-readable'; streamId: number }
  /** Flow control or buffer space freed: streamWrite will accept more. */
  | { type: 'stream-writable'; streamId: number }
  /** The peer's FIN: all its data has been read. */
  | { type: 'stream-finished'; streamId: number }
  | { type: 'stream-reset'; streamId: number; errorCode: number; /** Not the peer's reset: 0-RTT was rejected (RFC 9001 §4.6.2). */ earlyDataRejected?: true }
  | { type: 'stream-stop-sending'; streamId: number; errorCode: number }
  /** Local streams may be opened again (peer raised MAX_STREAMS). */
  | { type: 'streams-available'; bidirectional: boolean }
  | { type: 'datagram'; data: Uint8Array }
  /** The endpoint must route datagrams with this destination connection ID to this connection. */
  | { type: 'cid-issued'; cid: Uint8Array; statelessResetToken: Uint8Array }
  /** The endpoint may stop routing this connection ID. */
  | { type: 'cid-retired'; cid: Uint8Array }
  | { type: 'path-validated'; path: PathAddress }
  /** The connection now sends on a new path (peer migration or NAT rebinding, RFC 9000 §9). */
  | { type: 'path-migrated'; from: PathAddress; to: PathAddress }
  /** Client: a resumption ticket to store for later 0-RTT. */
  | { type: 'session-ticket'; ticket: unknown }
  /** Client: an address-validation token (NEW_TOKEN) to present on the next connection. */
  | { type: 'new-token'; token: Uint8Array }
  /** The connection is closed (after closing/draining); the endpoint may forget it. */
  | { type: 'closed'; info: ConnectionCloseInfo };

export type ConnectionState = 'handshaking' | 'established' | 'closing' | 'draining' | 'closed';

export interface OutgoingDatagram {
  data: Uint8Array;
  path: PathAddress;
}

/**
 * What every QuicConnection offers. Methods never throw for anything a peer sends: protocol errors
 * close the connection with the right error code and surface as a 'closed' event.
 */
export interface QuicConnectionApi {
  readonly state: ConnectionState;
  /** The peer's transport parameters (RFC 9000 §18), once received. */
  readonly peerTransportParameters: Readonly<TransportParameters> | undefined;
  receive(datagram: Uint8Array, path: PathAddress, now: number): void;
  /** Next datagram to send, or undefined when nothing can be sent now (call again after events). */
  poll(now: number): OutgoingDatagram | undefined;
  /** Absolute time (ms) of the next timer, or undefined. */
  nextTimeout(): number | undefined;
  handleTimeout(now: number): void;
  pollEvent(): ConnectionEvent | undefined;

  /** Opens a local stream; undefined when the peer's MAX_STREAMS limit is reached (STREAMS_BLOCKED sent). */
  openStream(bidirectional: boolean): number | undefined;
  /** Queues data; returns the number of bytes accepted (less than data.length means: wait for 'stream-writable'). */
  streamWrite(streamId: number, data: Uint8Array, fin?: boolean): number;
  /** Reads up to maxBytes of in-order data; undefined when none is available. */
  streamRead(streamId: number, maxBytes?: number): Uint8Array | undefined;
  streamFinish(streamId: number): void;
  streamReset(streamId: number, errorCode: number): void;
  streamStopSending(streamId: number, errorCode: number): void;
  /**
   * The sending priority of a stream: urgency 0 (first) to 7 (last), default 3, as in RFC 9218. Streams
   * with data of a lower urgency are served first; those of equal urgency share round-robin.
   */
  streamSetPriority(streamId: number, urgency: number): void;
  /** RFC 9221; false when the peer does not accept datagrams or it does not fit. */
  sendDatagram(data: Uint8Array): boolean;
  /** Immediate close (RFC 9000 §10.2) with an application or transport error code. */
  close(code: number, reason?: string, application?: boolean): void;
  /**
   * Ends the closing or draining period now, once a closing connection's CONNECTION_CLOSE has been sent:
   * 'closed' follows at once. RFC 9000 §10.2 allows this to an endpoint that closes its UDP socket, so
   * late packets cannot draw a Stateless Reset. No effect in any other state.
   */
  endClosingPeriod(now: number): void;
  /** Counters and recovery state (RTT, congestion window, path MTU), as of now; a new object per call. */
  stats(): ConnectionStats;
}
