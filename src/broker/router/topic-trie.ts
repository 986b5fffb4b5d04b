// A topic trie keyed by filter levels. Each node holds values for the filter ending there; match()
// walks a topic name through literal, '+' and '#' branches (MQTT 5.0 §4.7).

class TrieNode<V> {
  readonly children = new Map<string, TrieNode<V>>();
  readonly values = new Map<string, V>();
  constructor(readonly parent: TrieNode<V> | undefined, readonly level: string) {}
  isEmpty(): boolean {
    return this.children.size === 0 && this.values.size === 0;
  }
}

/**
 * Topic names whose split levels are remembered: publishers usually repeat a small set of topics, and
 * splitting each one per message was about 5% of the broker's CPU under load. The cache is emptied when
 * full, so its memory is bounded whatever topics clients use.
 */
export const DEFAULT_LEVEL_CACHE_SIZE = 4096;

/** A set of values per topic filter; a value is identified by a key unique within its filter. */
export class TopicTrie<V> {
  private readonly root = new TrieNode<V>(undefined, '');
  private count = 0;
  private readonly levelCache = new Map<string, readonly string[]>();

  constructor(private readonly levelCacheSize = DEFAULT_LEVEL_CACHE_SIZE) {}

  /** Number of (filter, key) entries. */
  get size(): number {
    return this.count;
  }

  set(filter: string, key: string, value: V): void {
    let node = this.root;
    for (const level of filter.split('/')) {
      let child = node.children.get(level);
      if (!child) {
        child = new TrieNode<V>(node, level);
        node.children.set(level, child);
      }
      node = child;
    }
    if (!node.values.has(key)) this.count++;
    node.values.set(key, value);
  }

  get(filter: string, key: string): V | undefined {
    return this.find(filter)?.values.get(key);
  }

  delete(filter: string, key: string): boolean {
    const node = this.find(filter);
    if (!node || !node.values.delete(key)) return false;
    this.count--;
    // Prune empty branches so unsubscribed filters do not keep memory.
    let n: TrieNode<V> | undefined = node;
    while (n && n.parent && n.isEmpty()) {
      n.parent.children.delete(n.level);
      n = n.parent;
    }
    return true;
  }

  /** Calls visit(value, key) for every entry whose filter matches the topic name. */
  match(topic: string, visit: (value: V, key: string) => void): void {
    const levels = this.levelsOf(topic);
    // MQTT 5.0 §4.7.2 [MQTT-4.7.2-1]: a filter starting with a wildcard does not match a topic
    // starting with '$'.
    const dollar = topic.startsWith('$');
    this.walk(this.root, levels, 0, dollar, visit);
  }

  /** The topic's levels (MQTT 5.0 §4.7.1.1), from the cache when the topic was seen recently. */
  private levelsOf(topic: string): readonly string[] {
    let levels = this.levelCache.get(topic);
    if (levels === undefined) {
      levels = topic.split('/');
      if (this.levelCache.size >= this.levelCacheSize) this.levelCache.clear();
      this.levelCache.set(topic, levels);
    }
    return levels;
  }

  private walk(node: TrieNode<V>, levels: readonly string[], i: number, dollar: boolean, visit: (v: V, k: string) => void): void {
    const wildcardsAllowed = !(dollar && i === 0);
    // '#' matches this level and everything below, including the parent itself ("a/#" matches "a").
    const hash = wildcardsAllowed ? node.children.get('#') : undefined;
    if (hash) for (const [k, v] of hash.values) visit(v, k);
    if (i === levels.length) {
      for (const [k, v] of node.values) visit(v, k);
      return;
    }
    const exact = node.children.get(levels[i]!);
    if (exact) this.walk(exact, levels, i + 1, dollar, visit);
    const plus = wildcardsAllowed ? node.children.get('+') : undefined;
    if (plus) this.walk(plus, levels, i + 1, dollar, visit);
  }

  private find(filter: string): TrieNode<V> | undefined {
    let node: TrieNode<V> | undefined = this.root;
    for (const level of filter.split('/')) {
      node = node.children.get(level);
      if (!node) return undefined;
    }
    return node;
  }
}
