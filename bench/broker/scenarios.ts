// The benchmark's traffic shapes. Each scenario names its clients and topics; every run of a scenario gets
// a fresh topic root and client identifiers, so nothing (retained messages, sessions, late deliveries) can
// leak from one run into the next.
import type { ClientSpec } from './protocol.js';

export const SCENARIO_NAMES = ['fanin-qos0', 'fanin-qos1', 'fanout-qos0', 'fanout-qos1', 'pairs-qos0', 'pairs-qos1'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];
export type Shape = 'fanin' | 'fanout' | 'pairs';

export interface Scenario {
  name: ScenarioName;
  shape: Shape;
  qos: 0 | 1;
}

export function scenarioByName(name: ScenarioName): Scenario {
  const [shape, qos] = name.split('-qos') as [Shape, string];
  return { name, shape, qos: qos === '1' ? 1 : 0 };
}

export function describeScenario(s: Scenario, clients: number): string {
  switch (s.shape) {
    case 'fanin':
      return `${clients} publishers -> 1 subscriber (wildcard), QoS ${s.qos}`;
    case 'fanout':
      return `1 publisher -> ${clients} subscribers, QoS ${s.qos}`;
    case 'pairs':
      return `${clients} publisher/subscriber pairs, QoS ${s.qos}`;
  }
}

export interface ScenarioPlan {
  subscribers: ClientSpec[];
  publishers: ClientSpec[];
  /** Deliveries a broker owes for one PUBLISH (fan-out: one per subscriber). */
  deliveriesPerPublish: number;
}

/**
 * The clients of one run. `tag` makes topics and client identifiers unique; identifiers stay within the
 * 23 characters every MQTT 3.1.1 server must accept (§3.1.3.1).
 */
export function planScenario(s: Scenario, clients: number, tag: string): ScenarioPlan {
  if (!Number.isInteger(clients) || clients < 1) throw new RangeError(`clients must be a positive integer, got ${clients}`);
  const root = `quicmq-bench/${tag}`;
  const sub = (i: number, topic: string): ClientSpec => ({ clientId: `qb${tag}s${i}`, role: 'subscriber', topic, qos: s.qos });
  const pub = (i: number, topic: string): ClientSpec => ({ clientId: `qb${tag}p${i}`, role: 'publisher', topic, qos: s.qos });
  const range = Array.from({ length: clients }, (_, i) => i);
  switch (s.shape) {
    case 'fanin':
      return { subscribers: [sub(0, `${root}/in/+`)], publishers: range.map((i) => pub(i, `${root}/in/${i}`)), deliveriesPerPublish: 1 };
    case 'fanout':
      return { subscribers: range.map((i) => sub(i, `${root}/out`)), publishers: [pub(0, `${root}/out`)], deliveriesPerPublish: clients };
    case 'pairs':
      return {
        subscribers: range.map((i) => sub(i, `${root}/pair/${i}`)),
        publishers: range.map((i) => pub(i, `${root}/pair/${i}`)),
        deliveriesPerPublish: 1,
      };
  }
}

/** Idle clients for the memory test: CONNECT only, nothing else. */
export function idleClients(count: number, tag: string): ClientSpec[] {
  return Array.from({ length: count }, (_, i) => ({ clientId: `qb${tag}i${i}`, role: 'idle' as const, topic: '', qos: 0 as const }));
}

/**
 * Splits clients over workers: subscribers on the first half of the workers, publishers on the rest, so
 * sending and receiving never share an event loop when there are two workers or more.
 */
export function assignToWorkers(plan: ScenarioPlan, workers: number): { subscribers: ClientSpec[][]; publishers: ClientSpec[][] } {
  const subscribers: ClientSpec[][] = Array.from({ length: workers }, () => []);
  const publishers: ClientSpec[][] = Array.from({ length: workers }, () => []);
  const subscriberWorkers = workers === 1 ? 1 : Math.ceil(workers / 2);
  const publisherFirst = workers === 1 ? 0 : subscriberWorkers;
  const publisherWorkers = workers - publisherFirst;
  plan.subscribers.forEach((c, i) => subscribers[i % subscriberWorkers]!.push(c));
  plan.publishers.forEach((c, i) => publishers[publisherFirst + (i % publisherWorkers)]!.push(c));
  return { subscribers, publishers };
}
