// The broker's configuration, after loading: every duration is in milliseconds, every size in bytes.
// The schema in schema.ts is the single source of truth for keys, defaults, validation and docs; these
// types are what the broker code reads. Key names follow EMQX (listeners.<type>.<name>.*, mqtt.*).

export interface ListenerCommon {
  enabled: boolean;
  /** "0.0.0.0:1883", "127.0.0.1:1883", "[::]:1883" or a bare port "1883". */
  bind: string;
  /** Connections accepted at once on this listener; more are refused at accept time. */
  max_connections: number;
}

export interface SslOptions {
  keyfile: string;
  certfile: string;
  /** CA bundle used to verify client certificates (mutual TLS). */
  cacertfile?: string;
  /** verify_peer requests a client certificate; verify_none does not. */
  verify: 'verify_none' | 'verify_peer';
  /** With verify_peer: refuse clients that present no certificate. */
  fail_if_no_peer_cert: boolean;
  versions: Array<'tlsv1.2' | 'tlsv1.3'>;
}

export type TcpListenerConfig = ListenerCommon;

export interface SslListenerConfig extends ListenerCommon {
  ssl_options: SslOptions;
}

export interface WsListenerConfig extends ListenerCommon {
  websocket: { mqtt_path: string };
}

export interface WssListenerConfig extends WsListenerConfig {
  ssl_options: SslOptions;
}

export interface QuicListenerConfig extends ListenerCommon {
  keyfile: string;
  certfile: string;
  /** QUIC max_idle_timeout transport parameter. */
  idle_timeout: number;
  /** Handshakes in progress at once (the rest are dropped or sent a Retry). */
  max_handshakes: number;
  /** Send a Retry to validate client addresses before any handshake state is kept. */
  retry: boolean;
  /** Allow 0-RTT (early data) on resumed connections. */
  enable_0rtt: boolean;
  disable_1rtt_encryption: boolean;
  congestion_control: 'newreno' | 'cubic';
  /** MQTT over QUIC data streams open at once besides the control stream (EIP-0023); 0 = single stream. */
  max_data_streams: number;
  /** QoS 0 PUBLISH in QUIC DATAGRAM frames with clients that accept them (RFC 9221). */
  qos0_datagrams: boolean;
  /** The latency spin bit (RFC 9000 §17.4). */
  spin_bit: boolean;
}

export interface MqttConfig {
  /** Largest MQTT packet accepted (and the 5.0 Maximum Packet Size the broker announces). */
  max_packet_size: number;
  max_clientid_len: number;
  /** 0 = unlimited. */
  max_topic_levels: number;
  max_qos_allowed: 0 | 1 | 2;
  /** Topic Alias Maximum the broker announces to 5.0 clients (0 = none). */
  max_topic_alias: number;
  /** Total bytes of inbound Topic Alias topics one connection may hold. */
  max_topic_alias_bytes: number;
  /** Subscriptions per session (0 = unlimited). */
  max_subscriptions: number;
  retain_available: boolean;
  wildcard_subscription: boolean;
  shared_subscription: boolean;
  /** How messages to a $share group are spread among its members. */
  shared_subscription_strategy: 'round_robin' | 'random' | 'sticky' | 'hash_clientid';
  /** A client is disconnected after keepalive * keepalive_multiplier without a packet. */
  keepalive_multiplier: number;
  /** When set, the broker imposes this keepalive (seconds) via 5.0 Server Keep Alive. */
  server_keepalive: number | null;
  /** Time a new connection may take to send CONNECT. */
  idle_timeout: number;
  /** Upper bound on the session expiry a client may ask for. */
  session_expiry_interval: number;
  /** Receive Maximum: QoS 1/2 messages in flight to a client at once. */
  max_inflight: number;
  /** Offline/pending queue length per session. */
  max_mqueue_len: number;
  /** What happens when the queue is full: drop the oldest queued message or the new one. */
  mqueue_overflow: 'drop_oldest' | 'drop_new';
  mqueue_store_qos0: boolean;
  /** QoS 2 messages from a client awaiting PUBREL, at most. */
  max_awaiting_rel: number;
  await_rel_timeout: number;
  /** Resend unacknowledged QoS 1/2 messages after this long (0 = only on reconnect, as 5.0 requires). */
  retry_interval: number;
  /** Retained messages kept, at most (0 = unlimited). */
  max_retained_messages: number;
  /** Total payload bytes of retained messages (0 = unlimited). */
  max_retained_bytes: number;
  /** Enforce MQTT 3.1's 1-23 character client identifier. */
  strict_mqtt31_client_id: boolean;
}

export interface AuthenticationConfig {
  /** Accept clients without credentials. */
  allow_anonymous: boolean;
  /** A password file written by `quicmq passwd` (one `user:$scheme$...` line each). */
  password_file: string | null;
}

export interface AuthorizationConfig {
  /** ACL file (allow/deny rules per user/client id, topic filter, publish/subscribe). */
  acl_file: string | null;
  /** What to do when no rule matches. */
  no_match: 'allow' | 'deny';
}

export interface SysTopicsConfig {
  enabled: boolean;
  /** How often $SYS/broker/... topics are published. */
  sys_msg_interval: number;
}

export interface PrometheusConfig {
  enabled: boolean;
  /** HTTP address for GET /metrics. */
  bind: string;
}

export interface LogConfig {
  level: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
}

export interface BrokerConfig {
  node: { name: string; data_dir: string };
  listeners: {
    tcp: Record<string, TcpListenerConfig>;
    ssl: Record<string, SslListenerConfig>;
    ws: Record<string, WsListenerConfig>;
    wss: Record<string, WssListenerConfig>;
    quic: Record<string, QuicListenerConfig>;
  };
  mqtt: MqttConfig;
  authentication: AuthenticationConfig;
  authorization: AuthorizationConfig;
  sys_topics: SysTopicsConfig;
  prometheus: PrometheusConfig;
  log: LogConfig;
}
