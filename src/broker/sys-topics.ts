// $SYS/broker/... status topics (the mosquitto names), published retained every sys_msg_interval so
// a new subscriber sees the latest values at once.
import type { Message } from './message.js';

export interface SysStats {
  clientsConnected: number;
  clientsTotal: number;
  messagesReceived: number;
  messagesSent: number;
  messagesDropped: number;
  uptimeSeconds: number;
  version: string;
  subscriptions: number;
  retained: number;
}

/** The broker's own topic tree: clients may read it but never publish into it (MQTT 5.0 §4.7.2). */
export const SYS_TOPIC_ROOT = '$SYS/';
export const SYS_PREFIX = `${SYS_TOPIC_ROOT}broker/`;

/** The $SYS messages for a snapshot of the broker's counters. */
export function sysMessages(stats: SysStats): Message[] {
  const values: Array<[string, string]> = [
    ['clients/connected', String(stats.clientsConnected)],
    ['clients/total', String(stats.clientsTotal)],
    ['messages/received', String(stats.messagesReceived)],
    ['messages/sent', String(stats.messagesSent)],
    ['messages/dropped', String(stats.messagesDropped)],
    ['uptime', `${stats.uptimeSeconds} seconds`],
    ['version', `quicmq version ${stats.version}`],
    ['subscriptions/count', String(stats.subscriptions)],
    ['retained/count', String(stats.retained)],
  ];
  return values.map(([suffix, value]) => ({
    topic: SYS_PREFIX + suffix,
    payload: Buffer.from(value),
    qos: 0,
    retain: true,
    properties: {},
  }));
}
