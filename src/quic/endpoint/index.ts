// Public surface of the endpoint layer: the sans-IO EndpointCore, the UDP shell, and the user-facing
// QuicServer / QuicClient / connectQuic with QuicConnectionHandle and QuicStream (a Node Duplex).
export { QuicServer, QUIC_SERVER_DEFAULTS, type QuicServerOptions } from './server.js';
export { QuicClient, connectQuic, type QuicConnectOptions } from './client.js';
export { QuicConnectionHandle, type HandshakeInfo, type OpenStreamOptions, type QuicConnectionHandleEvents, type ConnectionDriver } from './connection-handle.js';
export { QuicStream, STREAM_READ_CHUNK, DEFAULT_STREAM_ABORT_CODE, type QuicStreamOwner, type QuicStreamOptions, type StreamAbortReason } from './quic-stream.js';
export { UdpEndpoint, UDP_ENDPOINT_DEFAULTS, formatAddress, parseAddress, type UdpEndpointOptions, type UdpEndpointEvents } from './udp-endpoint.js';
export {
  EndpointCore,
  EndpointConnection,
  ENDPOINT_CORE_DEFAULTS,
  MIN_INITIAL_DCID_LENGTH,
  MIN_LOCAL_CID_LENGTH,
  type EndpointCoreOptions,
  type EndpointServerOptions,
  type EndpointEvent,
  type EndpointStats,
  type ServerConnectionParams,
  type ClientConnectionParams,
} from './endpoint-core.js';
export { AddressTokenCodec, ADDRESS_TOKEN_DEFAULTS, MAX_ADDRESS_TOKEN_LENGTH, type AddressTokenOptions, type AddressTokenCheck } from './tokens.js';
export { serverConnectionFactory, clientConnectionFactory, type ConnectionSettings } from './connection-factory.js';
export { QuicEndpointError, QuicConnectionClosedError, QuicStreamResetError, describeClose, type QuicEndpointErrorCode } from './errors.js';
