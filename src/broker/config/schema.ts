// The broker's configuration schema: the single source of truth for every key, its type, default,
// allowed values and description. defaultBrokerConfig() (defaults.ts), validation (validate.ts), the env
// and flag overrides (load.ts) and docs/configuration.md (gen-docs.ts) all derive from this object.
// Key names follow EMQX 5 where EMQX has the setting (listeners.<type>.<name>.*, mqtt.*).
//
// It is JSON Schema (draft-07 subset, checked by ajv) plus one keyword of ours:
//   "x-kind": "duration" | "size" | "bind"   the value is written "15s" / "1MB" / "host:port" in the file
//                                            and converted (ms, bytes) or checked by validate.ts.

export type ValueKind = 'duration' | 'size' | 'bind';

export interface SchemaNode {
  description: string;
  type?: 'object' | 'string' | 'integer' | 'number' | 'boolean' | 'array' | Array<'string' | 'integer' | 'null'>;
  default?: unknown;
  enum?: readonly (string | number)[];
  minimum?: number;
  maximum?: number;
  minLength?: number;
  pattern?: string;
  minItems?: number;
  uniqueItems?: boolean;
  items?: SchemaNode;
  properties?: Record<string, SchemaNode>;
  /** false: unknown keys are errors; a node: a map of named entries (listeners.tcp.<name>). */
  additionalProperties?: false | SchemaNode;
  'x-kind'?: ValueKind;
}

export const LISTENER_TYPES = ['tcp', 'ssl', 'ws', 'wss', 'quic'] as const;
export type ListenerType = (typeof LISTENER_TYPES)[number];

function duration(def: string, description: string): SchemaNode {
  return { 'x-kind': 'duration', default: def, description };
}
function size(def: string, description: string): SchemaNode {
  return { 'x-kind': 'size', default: def, description };
}
function int(def: number, minimum: number, maximum: number, description: string): SchemaNode {
  return { type: 'integer', default: def, minimum, maximum, description };
}
function bool(def: boolean, description: string): SchemaNode {
  return { type: 'boolean', default: def, description };
}
function oneOf(def: string, values: readonly string[], description: string): SchemaNode {
  return { type: 'string', enum: values, default: def, description };
}
function object(description: string, properties: Record<string, SchemaNode>): SchemaNode {
  return { type: 'object', description, default: {}, additionalProperties: false, properties };
}

function listenerCommon(bind: string): Record<string, SchemaNode> {
  return {
    enabled: bool(true, 'Start this listener. A listener named in the config is enabled unless it says `enabled = false`.'),
    bind: {
      'x-kind': 'bind',
      default: bind,
      description: 'Address to listen on: `"ip:port"`, `"[ipv6]:port"`, `"hostname:port"` or a bare port (all interfaces). Port 0 lets the OS choose.',
    },
    max_connections: int(1024000, 1, 2 ** 31 - 1, 'Connections open at once on this listener; further ones are refused when accepted.'),
  };
}

const sslOptions = object('TLS settings (Node `tls` options).', {
  keyfile: { type: 'string', default: '', description: 'PEM private key. Required when the listener is enabled.' },
  certfile: { type: 'string', default: '', description: 'PEM certificate (chain). Required when the listener is enabled.' },
  cacertfile: { type: 'string', description: 'PEM CA bundle used to verify client certificates (mutual TLS). Unset: the system CAs.' },
  verify: oneOf('verify_none', ['verify_none', 'verify_peer'], '`verify_peer` asks clients for a certificate and verifies it; `verify_none` does not ask.'),
  fail_if_no_peer_cert: bool(false, 'With `verify_peer`: refuse clients that present no certificate.'),
  versions: {
    type: 'array',
    items: { type: 'string', enum: ['tlsv1.2', 'tlsv1.3'], description: 'TLS version.' },
    minItems: 1,
    uniqueItems: true,
    default: ['tlsv1.3', 'tlsv1.2'],
    description: 'TLS versions accepted.',
  },
});

const websocket = object('WebSocket settings.', {
  mqtt_path: { type: 'string', pattern: '^/', default: '/mqtt', description: 'HTTP path of the MQTT WebSocket endpoint (subprotocol `mqtt`).' },
});

function listenerMap(description: string, listener: SchemaNode): SchemaNode {
  return { type: 'object', description, default: {}, additionalProperties: listener };
}

export const listenerSchemas: Record<ListenerType, SchemaNode> = {
  tcp: object('MQTT over TCP.', { ...listenerCommon('0.0.0.0:1883') }),
  ssl: object('MQTT over TLS.', { ...listenerCommon('0.0.0.0:8883'), ssl_options: sslOptions }),
  ws: object('MQTT over WebSocket.', { ...listenerCommon('0.0.0.0:8083'), websocket }),
  wss: object('MQTT over WebSocket over TLS.', { ...listenerCommon('0.0.0.0:8084'), websocket, ssl_options: sslOptions }),
  quic: object('MQTT over QUIC (ALPN `mqtt`, EMQX-compatible).', {
    ...listenerCommon('0.0.0.0:14567'),
    keyfile: { type: 'string', default: '', description: 'PEM private key. Empty (with certfile empty too): a self-signed certificate is generated in node.data_dir/certs on first start.' },
    certfile: { type: 'string', default: '', description: 'PEM certificate (chain). Empty (with keyfile empty too): a self-signed certificate is generated in node.data_dir/certs on first start; clients trust node.data_dir/certs/ca.pem.' },
    idle_timeout: duration('15s', 'QUIC max_idle_timeout transport parameter (RFC 9000 §10.1).'),
    max_handshakes: int(1000, 1, 1_000_000, 'Handshakes in progress at once; more new connections are dropped (or sent a Retry).'),
    retry: bool(false, 'Validate client addresses with a Retry packet before keeping any handshake state (RFC 9000 §8.1.2).'),
    enable_0rtt: bool(false, 'Accept 0-RTT early data on resumed connections (RFC 9001 §4.6); replayable, so off by default.'),
    disable_1rtt_encryption: bool(false, 'Offer to run 1-RTT packets without packet protection (draft-banks-quic-disable-encryption, transport parameter 0xBAAD as msquic sends it); used only with clients that offer it too. The TLS 1.3 handshake still authenticates both ends, but MQTT traffic is then readable and alterable by anyone on the path: only for networks both ends trust completely.'),
    congestion_control: oneOf('newreno', ['newreno', 'cubic'], 'Congestion controller (RFC 9002 §7 NewReno, RFC 9438 CUBIC).'),
    max_data_streams: int(16, 0, 1000, 'MQTT over QUIC multi-stream (EMQX EIP-0023): data streams a client may have open at once besides its first (control) stream, each with its own subscriptions, QoS 1/2 state and flow, so one slow topic does not hold up another. 0 keeps single-stream mode: every further stream is refused.'),
    qos0_datagrams: bool(false, 'Carry QoS 0 PUBLISH packets in QUIC DATAGRAM frames (RFC 9221), one packet per frame, both ways, with clients that accept them (they advertise max_datagram_frame_size). Such messages are unordered and may be lost on the way, which is at most once but gives up MQTT ordering: only for clients that ask for it. Messages too large for a datagram go on the stream.'),
    spin_bit: bool(true, 'The latency spin bit (RFC 9000 §17.4), from which on-path observers can measure the RTT of a connection. Off on a random one in 16 paths even when on, as the RFC requires; false turns it off for every connection of this listener.'),
  }),
};

export const configSchema: SchemaNode = {
  type: 'object',
  description: 'quicmq broker configuration.',
  additionalProperties: false,
  properties: {
    node: object('This broker node.', {
      name: { type: 'string', minLength: 1, default: 'quicmq@127.0.0.1', description: 'Node name, shown in logs and $SYS topics.' },
      data_dir: { type: 'string', minLength: 1, default: 'var', description: 'Directory for persistent state (relative to the working directory).' },
    }),
    listeners: {
      type: 'object',
      description: 'Listeners by type and name: `listeners.<type>.<name> { ... }`. Any name may be added; it gets the defaults of its type.',
      default: {},
      additionalProperties: false,
      properties: {
        tcp: listenerMap('MQTT over TCP listeners.', listenerSchemas.tcp),
        ssl: listenerMap('MQTT over TLS listeners.', listenerSchemas.ssl),
        ws: listenerMap('MQTT over WebSocket listeners.', listenerSchemas.ws),
        wss: listenerMap('MQTT over secure WebSocket listeners.', listenerSchemas.wss),
        quic: listenerMap('MQTT over QUIC listeners.', listenerSchemas.quic),
      },
    },
    mqtt: object('MQTT protocol limits and behaviour (all listeners).', {
      max_packet_size: {
        ...size('1MB', 'Largest MQTT packet accepted, and the Maximum Packet Size announced to 5.0 clients (MQTT 5.0 §3.2.2.3.6).'),
        minimum: 64,
        maximum: 268435456,
      },
      max_clientid_len: int(65535, 23, 65535, 'Longest client identifier accepted (MQTT 3.1.1 §3.1.3.1 requires at least 23).'),
      max_topic_levels: int(128, 0, 65535, 'Most topic levels in a topic name or filter; 0 = unlimited.'),
      max_qos_allowed: { type: 'integer', enum: [0, 1, 2], default: 2, description: 'Maximum QoS (MQTT 5.0 §3.2.2.3.4); higher QoS requests are downgraded.' },
      // Each alias pins a topic of up to 64 KiB per connection, so the default is small (EMQX announces
      // 65535, mosquitto 10): aliases save bytes on a handful of hot topics, not on thousands.
      max_topic_alias: int(64, 0, 65535, 'Topic Alias Maximum announced to 5.0 clients (MQTT 5.0 §3.2.2.3.8); 0 = no aliases. Kept small by default: every alias holds a topic in memory for the life of the connection.'),
      max_topic_alias_bytes: {
        ...size('256KB', 'Total bytes of the topics one connection may hold as inbound Topic Aliases; a client that goes beyond it is disconnected with 0x97 Quota exceeded (MQTT 5.0 §3.3.2.3.4).'),
        minimum: 1,
        maximum: 2 ** 32,
      },
      max_subscriptions: int(10000, 0, 2 ** 31 - 1, 'Subscriptions one session may hold; 0 = unlimited. Filters beyond it are refused in SUBACK (0x97 Quota exceeded in 5.0, 0x80 in 3.1.1; a 3.1 client is disconnected).'),
      retain_available: bool(true, 'Support retained messages (MQTT 5.0 §3.2.2.3.5).'),
      wildcard_subscription: bool(true, 'Allow `+`/`#` in subscriptions (MQTT 5.0 §3.2.2.3.11).'),
      shared_subscription: bool(true, 'Allow `$share/<group>/<filter>` subscriptions (MQTT 5.0 §4.8.2).'),
      shared_subscription_strategy: oneOf('round_robin', ['round_robin', 'random', 'sticky', 'hash_clientid'], 'How messages to a shared group are spread among its members.'),
      keepalive_multiplier: { type: 'number', default: 1.5, minimum: 1, maximum: 100, description: 'A client is disconnected after Keep Alive × this without a packet (MQTT 5.0 §3.1.2.10 uses 1.5).' },
      server_keepalive: {
        type: ['integer', 'null'],
        default: null,
        minimum: 0,
        maximum: 65535,
        description: 'Seconds; when set, imposed on 5.0 clients through Server Keep Alive (MQTT 5.0 §3.2.2.3.14). null = use the client\'s.',
      },
      idle_timeout: duration('15s', 'Time a new connection may take to send CONNECT before it is closed.'),
      session_expiry_interval: duration('2h', 'Upper bound on the Session Expiry Interval a client may ask for (MQTT 5.0 §3.1.2.11.2).'),
      max_inflight: int(32, 1, 65535, 'QoS 1/2 messages in flight to one client at once (also bounded by its Receive Maximum, MQTT 5.0 §4.9).'),
      max_mqueue_len: int(1000, 1, 2 ** 31 - 1, 'Messages queued per session while the client is offline or its in-flight window is full.'),
      mqueue_overflow: oneOf('drop_oldest', ['drop_oldest', 'drop_new'], 'When the queue is full: drop the oldest queued message or the new one.'),
      mqueue_store_qos0: bool(true, 'Queue QoS 0 messages for offline sessions too.'),
      max_awaiting_rel: int(100, 1, 65535, 'QoS 2 messages from one client awaiting PUBREL, at most (then Receive Maximum exceeded, MQTT 5.0 §4.9).'),
      await_rel_timeout: duration('300s', 'A QoS 2 message whose PUBREL has not arrived after this long is discarded.'),
      retry_interval: duration('30s', 'Resend unacknowledged QoS 1/2 messages to 3.1.1 clients after this long; 0 = only on reconnect (MQTT 5.0 §4.4 forbids in-session resends for 5.0).'),
      max_retained_messages: int(0, 0, 2 ** 31 - 1, 'Retained messages kept, at most; 0 = unlimited.'),
      max_retained_bytes: {
        ...size('256MB', 'Total payload bytes of retained messages kept; 0 = unlimited. Beyond it new retained messages are routed but not stored (a warning is logged at most once a minute).'),
      },
      strict_mqtt31_client_id: bool(true, 'MQTT 3.1 clients must use a client identifier of 1-23 characters (MQTT 3.1 §3.1, CONNACK return code 2 otherwise); false applies only max_clientid_len to them, as to 3.1.1 and 5.0 clients.'),
    }),
    authentication: object('Who may connect.', {
      allow_anonymous: bool(true, 'Accept clients that send no username. Without a password file: true accepts every client, false refuses every client.'),
      password_file: {
        type: ['string', 'null'],
        default: null,
        description: 'Password file written by `quicmq passwd` (`user:$scrypt$...` lines). Clients that send a username must match it.',
      },
    }),
    authorization: object('What connected clients may publish and subscribe to.', {
      acl_file: { type: ['string', 'null'], default: null, description: 'ACL file (see "ACL file" below). null = no rules, `no_match` decides everything.' },
      no_match: oneOf('allow', ['allow', 'deny'], 'Decision when no ACL rule matches.'),
    }),
    sys_topics: object('$SYS topics (broker statistics).', {
      enabled: bool(true, 'Publish `$SYS/brokers/<node>/...` topics.'),
      sys_msg_interval: duration('1m', 'How often they are published.'),
    }),
    prometheus: object('Prometheus metrics over HTTP; the metrics are listed in [metrics.md](metrics.md).', {
      enabled: bool(false, 'Serve `GET /metrics` in the Prometheus text format.'),
      bind: { 'x-kind': 'bind', default: '127.0.0.1:9464', description: 'HTTP address of the metrics endpoint.' },
    }),
    log: object('Logging (pino, JSON lines on stdout).', {
      level: oneOf('info', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'Lowest level written.'),
    }),
  },
};

/**
 * Listeners that exist without any config file. A file, env variable or flag that names one of them
 * changes it (as in EMQX's base config); `enabled = false` turns it off. Unlike EMQX, QUIC is on by
 * default: MQTT over QUIC is what quicmq is for, and with keyfile/certfile left empty the broker
 * generates a private CA and a server certificate in node.data_dir/certs on first start.
 */
export const BASE_LISTENERS: Record<ListenerType, Record<string, { enabled: boolean }>> = {
  tcp: { default: { enabled: true } },
  ssl: { default: { enabled: false } },
  ws: { default: { enabled: true } },
  wss: { default: { enabled: false } },
  quic: { default: { enabled: true } },
};
