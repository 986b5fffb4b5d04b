// Placeholder until the schema lands: the config loader replaces this with defaults derived from
// schema.ts, keeping the signature.
import type { BrokerConfig } from './types.js';

export function defaultBrokerConfig(): BrokerConfig {
  return {
    node: { name: 'quicmq@127.0.0.1', data_dir: 'var' },
    listeners: {
      tcp: { default: { enabled: true, bind: '0.0.0.0:1883', max_connections: 1024000 } },
      ssl: {},
      ws: { default: { enabled: true, bind: '0.0.0.0:8083', max_connections: 1024000, websocket: { mqtt_path: '/mqtt' } } },
      wss: {},
      quic: {},
    },
    mqtt: {
      max_packet_size: 1048576,
      max_clientid_len: 65535,
      max_topic_levels: 128,
      max_qos_allowed: 2,
      max_topic_alias: 65535,
      retain_available: true,
      wildcard_subscription: true,
      shared_subscription: true,
      shared_subscription_strategy: 'round_robin',
      keepalive_multiplier: 1.5,
      server_keepalive: null,
      idle_timeout: 15000,
      session_expiry_interval: 7200000,
      max_inflight: 32,
      max_mqueue_len: 1000,
      mqueue_overflow: 'drop_oldest',
      mqueue_store_qos0: true,
      max_awaiting_rel: 100,
      await_rel_timeout: 300000,
      retry_interval: 30000,
      max_retained_messages: 0,
    },
    authentication: { allow_anonymous: true, password_file: null },
    authorization: { acl_file: null, no_match: 'allow' },
    sys_topics: { enabled: true, sys_msg_interval: 60000 },
    prometheus: { enabled: false, bind: '127.0.0.1:9464' },
    log: { level: 'info' },
  };
}
