// The router: which sessions receive a message published to a topic. Plain subscriptions live in one
// topic trie, $share groups in another; match() aggregates per session and picks one member per
// shared group (MQTT 5.0 §4.8.2).
import type { QoS } from '../../mqtt/codec.js';
import { TopicTrie } from './topic-trie.js';
import { SharedGroupPicker, type SharedStrategyName } from './shared-strategy.js';

/** MQTT 5.0 §3.8.3.1 Subscription Options, plus the Subscription Identifier (§3.8.2.1.2). */
export interface SubscriptionOptions {
  qos: QoS;
  noLocal: boolean;
  retainAsPublished: boolean;
  retainHandling: 0 | 1 | 2;
  subscriptionId?: number;
}

/** A session a message goes to, with what the matching subscriptions ask for. */
export interface RouteTarget {
  clientId: string;
  qos: QoS;
  retainAsPublished: boolean;
  subscriptionIds: number[];
}

/**
 * Separates a client id from the suffix of a session of its own that is not its MQTT session (an MQTT over
 * QUIC data stream: `<clientId>\u0000<stream>`). MQTT strings never contain U+0000 (MQTT 5.0 §1.5.4), so
 * such ids never collide with a client's.
 */
export const SUBSCRIBER_SUFFIX_SEPARATOR = '\u0000';

/** Whether the router key `subscriber` is the client `clientId` or one of its data streams (for No Local). */
export function isSubscriberOf(subscriber: string, clientId: string): boolean {
  if (subscriber === clientId) return true;
  return subscriber.length > clientId.length && subscriber[clientId.length] === SUBSCRIBER_SUFFIX_SEPARATOR && subscriber.startsWith(clientId);
}

/** Targets found by linear search before match() builds an index by client id. */
const AGGREGATE_LINEAR_LIMIT = 8;
/** Shared by every target without Subscription Identifiers; never mutated (match() copies on add). */
const NO_SUBSCRIPTION_IDS: number[] = [];

class SharedGroup {
  readonly members = new Map<string, SubscriptionOptions>();
  constructor(readonly picker: SharedGroupPicker) {}
}

export interface RouterOptions {
  strategy: SharedStrategyName;
  /** Whether a session has a connected client; shared groups prefer connected members. */
  isOnline: (clientId: string) => boolean;
  random?: () => number;
}

export class Router {
  private readonly plain = new TopicTrie<SubscriptionOptions>();
  private readonly shared = new TopicTrie<SharedGroup>();
  private sharedMembers = 0;

  constructor(private readonly opts: RouterOptions) {}

  /** Number of subscriptions (plain plus shared-group memberships). */
  get subscriptionCount(): number {
    return this.plain.size + this.sharedMembers;
  }

  subscribe(clientId: string, filter: string, options: SubscriptionOptions, group?: string): void {
    if (group === undefined) {
      this.plain.set(filter, clientId, options);
      return;
    }
    let g = this.shared.get(filter, group);
    if (!g) {
      g = new SharedGroup(new SharedGroupPicker(this.opts.strategy, this.opts.random));
      this.shared.set(filter, group, g);
    }
    if (!g.members.has(clientId)) this.sharedMembers++;
    g.members.set(clientId, options);
  }

  /** @returns whether the subscription existed. */
  unsubscribe(clientId: string, filter: string, group?: string): boolean {
    if (group === undefined) return this.plain.delete(filter, clientId);
    const g = this.shared.get(filter, group);
    if (!g || !g.members.delete(clientId)) return false;
    this.sharedMembers--;
    if (g.members.size === 0) this.shared.delete(filter, group);
    return true;
  }

  /**
   * Targets for a message. A session with several matching plain subscriptions gets one copy with the
   * highest QoS and every Subscription Identifier (MQTT 5.0 §3.3.4); each shared group adds one copy
   * for one member. No Local subscriptions of the publisher are skipped (§3.8.3.1).
   */
  match(topic: string, publisher: string | undefined): RouteTarget[] {
    const out: RouteTarget[] = [];
    // One target per session. Most messages match a few subscriptions: a linear search of the targets
    // so far is cheaper than a Map per message; past AGGREGATE_LINEAR_LIMIT an index takes over.
    let index: Map<string, RouteTarget> | undefined;
    this.plain.match(topic, (opt, clientId) => {
      if (opt.noLocal && publisher !== undefined && isSubscriberOf(clientId, publisher)) return;
      let t: RouteTarget | undefined;
      if (index) t = index.get(clientId);
      else for (let i = 0; i < out.length && !t; i++) if (out[i]!.clientId === clientId) t = out[i];
      if (!t) {
        t = {
          clientId,
          qos: opt.qos,
          retainAsPublished: opt.retainAsPublished,
          subscriptionIds: opt.subscriptionId !== undefined ? [opt.subscriptionId] : NO_SUBSCRIPTION_IDS,
        };
        out.push(t);
        if (index) index.set(clientId, t);
        else if (out.length > AGGREGATE_LINEAR_LIMIT) index = new Map(out.map((x) => [x.clientId, x]));
      } else {
        t.qos = Math.max(t.qos, opt.qos) as QoS;
        t.retainAsPublished ||= opt.retainAsPublished;
        if (opt.subscriptionId !== undefined) t.subscriptionIds = [...t.subscriptionIds, opt.subscriptionId];
      }
    });
    if (this.shared.size === 0) return out;
    this.shared.match(topic, (group) => {
      const all = [...group.members.keys()];
      const online = all.filter((id) => this.opts.isOnline(id));
      const chosen = group.picker.pick(online.length > 0 ? online : all, { publisher });
      const opt = group.members.get(chosen)!;
      out.push({
        clientId: chosen,
        qos: opt.qos,
        retainAsPublished: opt.retainAsPublished,
        subscriptionIds: opt.subscriptionId !== undefined ? [opt.subscriptionId] : [],
      });
    });
    return out;
  }
}
