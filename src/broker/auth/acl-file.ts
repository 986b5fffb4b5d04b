// ACL file authorization: `allow|deny <who> publish|subscribe|all <topic filter>` lines, first match
// wins (like EMQX's acl.conf and mosquitto's acl_file), config authorization.no_match when none does.
// The format and matching rules are documented in docs/configuration.md ("ACL file").
import { readFileSync } from 'node:fs';
import {
  filterCoveredBy,
  filtersOverlap,
  isSharedFilter,
  parseSharedFilter,
  topicMatchesFilter,
  validateTopicFilter,
  validateTopicName,
} from '../../mqtt/topic.js';
import type { AuthorizationConfig } from '../config/types.js';
import type { AclAction, AclClient, Authorizer } from './types.js';

export type AclPermission = 'allow' | 'deny';
export type AclWho = { kind: 'all' } | { kind: 'user'; name: string } | { kind: 'clientid'; name: string };

export interface AclRule {
  permission: AclPermission;
  who: AclWho;
  action: AclAction | 'all';
  /** Topic filter, possibly with %u (username) and %c (client id) placeholders. */
  filter: string;
  /** 1-based line in the file, for logs. */
  line: number;
}

export type AclFileErrorCode = 'ACL_SYNTAX' | 'ACL_READ';

export class AclFileError extends Error {
  constructor(
    readonly code: AclFileErrorCode,
    message: string,
    readonly line?: number,
  ) {
    super(message);
    this.name = 'AclFileError';
  }
}

const PERMISSIONS = new Set(['allow', 'deny']);
const ACTIONS = new Set(['publish', 'subscribe', 'all']);

/** Parses ACL file text. Throws AclFileError naming file and line. */
export function parseAclFile(text: string, fileName = '<acl file>'): AclRule[] {
  const rules: AclRule[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '').trim();
    if (line === '' || line.startsWith('#')) continue;
    const fail = (msg: string): never => {
      throw new AclFileError('ACL_SYNTAX', `${fileName}:${i + 1}: ${msg}`, i + 1);
    };
    // Split off the leading words; the filter is the rest of the line (topics may contain spaces).
    let rest = line;
    const take = (): string => {
      const m = /^(\S+)\s*/.exec(rest);
      if (!m) return '';
      rest = rest.slice(m[0].length);
      return m[1]!;
    };
    const permission = take();
    if (!PERMISSIONS.has(permission)) fail(`expected "allow" or "deny", got ${JSON.stringify(permission)}`);
    const whoKind = take();
    let who: AclWho;
    if (whoKind === 'all') who = { kind: 'all' };
    else if (whoKind === 'user' || whoKind === 'clientid') {
      const name = take();
      if (!name) fail(`expected a ${whoKind === 'user' ? 'username' : 'client id'} after "${whoKind}"`);
      who = { kind: whoKind, name };
    } else {
      who = fail(`expected "all", "user <name>" or "clientid <id>", got ${JSON.stringify(whoKind)}`);
    }
    const action = take();
    if (!ACTIONS.has(action)) fail(`unknown action ${JSON.stringify(action)} (expected publish, subscribe or all)`);
    const filter = rest;
    if (!filter) fail('expected a topic filter at the end of the line');
    // Check the filter's shape with placeholders standing in for one level's worth of text.
    const check = validateTopicFilter(filter.replace(/%[uc]/g, 'x'));
    if (!check.ok) fail(`invalid topic filter ${JSON.stringify(filter)}: ${check.reason}`);
    rules.push({ permission: permission as AclPermission, who, action: action as AclAction | 'all', filter, line: i + 1 });
  }
  return rules;
}

export function readAclFile(path: string): AclRule[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new AclFileError('ACL_READ', `cannot read ACL file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parseAclFile(text, path);
}

/** %u/%c replaced; undefined when the rule cannot apply (no username, or a value that would add levels/wildcards). */
function substitute(filter: string, client: AclClient): string | undefined {
  if (!filter.includes('%')) return filter;
  let ok = true;
  const out = filter.replace(/%([uc])/g, (_m, which: string) => {
    const value = which === 'u' ? client.username : client.clientId;
    // mosquitto does the same: a value with '/', '+' or '#' would let a client widen the rule.
    if (value === undefined || value === '' || /[/+#]/.test(value)) ok = false;
    return value ?? '';
  });
  return ok ? out : undefined;
}

function whoMatches(who: AclWho, client: AclClient): boolean {
  if (who.kind === 'all') return true;
  if (who.kind === 'user') return client.username === who.name;
  return client.clientId === who.name;
}

/**
 * First-match evaluation. `topic` is a topic name (publish) or filter (subscribe, `$share/g/` already
 * removed). Returns the deciding rule, or undefined when none matches.
 */
export function findMatchingRule(rules: readonly AclRule[], client: AclClient, action: AclAction, topic: string): AclRule | undefined {
  for (const rule of rules) {
    if (rule.action !== 'all' && rule.action !== action) continue;
    if (!whoMatches(rule.who, client)) continue;
    const filter = substitute(rule.filter, client);
    if (filter === undefined) continue;
    let matches: boolean;
    if (action === 'publish') matches = topicMatchesFilter(topic, filter);
    // A subscription is allowed only if it stays inside the allowed filter, and denied if it could
    // receive anything the deny rule names.
    else matches = rule.permission === 'allow' ? filterCoveredBy(topic, filter) : filtersOverlap(topic, filter);
    if (matches) return rule;
  }
  return undefined;
}

/** The broker's built-in authorizer (authorization.* config). */
export class AclFileAuthorizer implements Authorizer {
  private rules: AclRule[];

  constructor(
    private readonly config: Pick<AuthorizationConfig, 'acl_file' | 'no_match'>,
    /** Rules given directly (tests, embedding); otherwise read from config.acl_file. */
    rules?: AclRule[],
  ) {
    this.rules = rules ?? (config.acl_file ? readAclFile(config.acl_file) : []);
  }

  get ruleCount(): number {
    return this.rules.length;
  }

  /** Re-reads the ACL file (SIGHUP). On error the previous rules stay and the error is thrown. */
  reload(): void {
    if (this.config.acl_file) this.rules = readAclFile(this.config.acl_file);
  }

  authorize(client: AclClient, action: AclAction, topic: string): boolean {
    if (client.superuser) return true;
    let subject = topic;
    if (action === 'subscribe' && isSharedFilter(topic)) {
      const shared = parseSharedFilter(topic);
      if ('error' in shared) return false;
      subject = shared.filter; // MQTT 5.0 §4.8.2: what the client receives is decided by the filter part
    }
    // Malformed input is refused here rather than matched loosely (the channel normally rejects it first).
    const valid = action === 'publish' ? validateTopicName(subject) : validateTopicFilter(subject);
    if (!valid.ok) return false;
    const rule = findMatchingRule(this.rules, client, action, subject);
    return (rule?.permission ?? this.config.no_match) === 'allow';
  }
}
