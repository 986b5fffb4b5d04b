// Public API of the quicmq MQTT client.
export {
  connect,
  createClient,
  MqttClient,
  SubscribeRefusedError,
  DEFAULT_END_TIMEOUT_MS,
  type ReceivedMessage,
  type PublishOptions,
  type SubscriptionOptions,
  type SubscriptionRequest,
  type SubscribeOptions,
  type SubscriptionGrant,
  type UnsubscribeOptions,
  type EndOptions,
  type ConnackInfo,
  type MqttClientEvents,
} from './client.js';
export {
  resolveOptions,
  DEFAULT_KEEPALIVE_SECONDS,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MESSAGE_BUFFER_SIZE,
  SESSION_NEVER_EXPIRES,
  type ConnectOptions,
  type TlsOptions,
  type WillOptions,
  type ProtocolVersion,
  type PublishProperties,
  type ConnectProperties,
  type WillProperties,
  type UserProperties,
  type QoS,
  type ResolvedOptions,
} from './options.js';
export { MqttClientError, type MqttClientErrorCode } from './errors.js';
export {
  registerTransport,
  findTransport,
  registeredSchemes,
  mqttJsStreamBuilder,
  type TransportFactory,
  type TransportInfo,
  type TransportConnectOptions,
  type TransportTlsOptions,
  type RegisteredTransport,
} from './transports.js';
export { reasonCodeName, describeReasonCode, describeConnackCode } from './reason-codes.js';
export { checkTopicName, checkTopicFilter } from './topics.js';
// MQTT over QUIC: importing the transport registers the quic:// scheme (EMQX-compatible, ALPN "mqtt").
export { quicTransport, MqttQuicStream } from './transports/quic.js';
export { MqttDataStream, type MqttDataStreamEvents } from './data-stream.js';
