import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AclFileAuthorizer, AclFileError, findMatchingRule, parseAclFile, readAclFile } from '../../../src/broker/auth/acl-file.js';
import type { AclClient } from '../../../src/broker/auth/types.js';

const alice: AclClient = { clientId: 'dev-1', username: 'alice' };
const anon: AclClient = { clientId: 'dev-2', username: undefined };

test('parseAclFile: rules with line numbers, comments, filters with spaces', () => {
  const rules = parseAclFile('# header\n\nallow user alice publish a/b\n  deny all subscribe $SYS/#\nallow clientid c1 all room with spaces/+\n');
  assert.deepEqual(rules, [
    { permission: 'allow', who: { kind: 'user', name: 'alice' }, action: 'publish', filter: 'a/b', line: 3 },
    { permission: 'deny', who: { kind: 'all' }, action: 'subscribe', filter: '$SYS/#', line: 4 },
    { permission: 'allow', who: { kind: 'clientid', name: 'c1' }, action: 'all', filter: 'room with spaces/+', line: 5 },
  ]);
});

test('parseAclFile: errors name file and line', () => {
  const cases: Array<[string, string]> = [
    ['permit all publish x', 'acl:1: expected "allow" or "deny", got "permit"'],
    ['allow everyone publish x', 'acl:1: expected "all", "user <name>" or "clientid <id>", got "everyone"'],
    ['allow user', 'acl:1: expected a username after "user"'],
    ['allow clientid', 'acl:1: expected a client id after "clientid"'],
    ['# ok\nallow all pub x', 'acl:2: unknown action "pub" (expected publish, subscribe or all)'],
    ['allow all publish', 'acl:1: expected a topic filter at the end of the line'],
    ['allow all subscribe a/#/b', 'acl:1: invalid topic filter "a/#/b": \'#\' not alone in the last level'],
    ['allow all subscribe a+/b', 'acl:1: invalid topic filter "a+/b": \'+\' not alone in its level'],
  ];
  for (const [text, message] of cases) {
    assert.throws(() => parseAclFile(text, 'acl'), (e: unknown) => e instanceof AclFileError && e.code === 'ACL_SYNTAX' && e.message === message, text);
  }
  assert.throws(() => readAclFile('/nonexistent/acl'), (e: unknown) => e instanceof AclFileError && e.code === 'ACL_READ');
});

test('first match decides; no_match applies when nothing matches', () => {
  const rules = parseAclFile('deny user alice publish secret/#\nallow all publish secret/#\nallow all publish public/#');
  const allowByDefault = new AclFileAuthorizer({ acl_file: null, no_match: 'allow' }, rules);
  const denyByDefault = new AclFileAuthorizer({ acl_file: null, no_match: 'deny' }, rules);
  assert.equal(allowByDefault.authorize(alice, 'publish', 'secret/x'), false, 'deny rule first');
  assert.equal(allowByDefault.authorize(anon, 'publish', 'secret/x'), true, 'next rule for others');
  assert.equal(denyByDefault.authorize(alice, 'publish', 'public/x'), true);
  assert.equal(allowByDefault.authorize(alice, 'publish', 'other'), true, 'no_match = allow');
  assert.equal(denyByDefault.authorize(alice, 'publish', 'other'), false, 'no_match = deny');
  assert.equal(findMatchingRule(rules, anon, 'publish', 'secret/x')?.line, 2);
  assert.equal(findMatchingRule(rules, anon, 'subscribe', 'secret/x'), undefined, 'publish rules do not apply to subscribe');
});

test('who: user, clientid, all; action all covers both', () => {
  const rules = parseAclFile('allow user alice all a/#\nallow clientid dev-2 subscribe b/#');
  const authz = new AclFileAuthorizer({ acl_file: null, no_match: 'deny' }, rules);
  assert.equal(authz.authorize(alice, 'publish', 'a/1'), true);
  assert.equal(authz.authorize(alice, 'subscribe', 'a/+'), true);
  assert.equal(authz.authorize(anon, 'publish', 'a/1'), false);
  assert.equal(authz.authorize(anon, 'subscribe', 'b/1'), true);
  assert.equal(authz.authorize(anon, 'publish', 'b/1'), false);
  assert.equal(authz.authorize({ clientId: 'x', username: 'alice2' }, 'publish', 'a/1'), false, 'exact username');
});

test('%u and %c substitution; no username or a wildcard/slash in the value never matches', () => {
  const rules = parseAclFile('allow all all users/%u/#\nallow all publish devices/%c/state');
  const authz = new AclFileAuthorizer({ acl_file: null, no_match: 'deny' }, rules);
  assert.equal(authz.authorize(alice, 'publish', 'users/alice/inbox'), true);
  assert.equal(authz.authorize(alice, 'subscribe', 'users/alice/#'), true);
  assert.equal(authz.authorize(alice, 'publish', 'users/bob/inbox'), false);
  assert.equal(authz.authorize(alice, 'publish', 'devices/dev-1/state'), true);
  assert.equal(authz.authorize(alice, 'publish', 'devices/dev-2/state'), false);
  assert.equal(authz.authorize(anon, 'publish', 'users//inbox'), false, 'no username: %u rules skipped');
  assert.equal(authz.authorize({ clientId: 'c', username: '+' }, 'subscribe', 'users/+/#'), false, 'username "+" cannot widen the rule');
  assert.equal(authz.authorize({ clientId: 'c', username: '#' }, 'subscribe', 'users/#'), false, 'username "#" cannot widen the rule');
  assert.equal(authz.authorize({ clientId: 'a/b', username: 'u' }, 'publish', 'devices/a/b/state'), false, 'client id with "/"');
});

test('subscribe: allow needs coverage, deny applies on overlap, $ topics and $share handled', () => {
  const rules = parseAclFile('deny all subscribe $SYS/#\ndeny all subscribe secret/#\nallow all subscribe sensors/#\nallow all subscribe #');
  const authz = new AclFileAuthorizer({ acl_file: null, no_match: 'deny' }, rules);
  assert.equal(authz.authorize(anon, 'subscribe', 'sensors/+/temp'), true);
  assert.equal(authz.authorize(anon, 'subscribe', '$SYS/broker/uptime'), false);
  assert.equal(authz.authorize(anon, 'subscribe', '$SYS/#'), false);
  assert.equal(authz.authorize(anon, 'subscribe', '#'), false, '"#" overlaps secret/#');
  assert.equal(authz.authorize(anon, 'subscribe', '+/x'), false, '"+/x" could receive secret/x');
  assert.equal(authz.authorize(anon, 'subscribe', 'public/x'), true);
  assert.equal(authz.authorize(anon, 'subscribe', '$share/g/sensors/#'), true, 'shared: the filter part is checked');
  assert.equal(authz.authorize(anon, 'subscribe', '$share/g/secret/a'), false);

  const narrow = new AclFileAuthorizer({ acl_file: null, no_match: 'deny' }, parseAclFile('allow all subscribe sensors/+'));
  assert.equal(narrow.authorize(anon, 'subscribe', 'sensors/#'), false, 'a wider filter than the rule is not allowed');
  assert.equal(narrow.authorize(anon, 'subscribe', 'sensors/a'), true);
});

test('superusers bypass rules; malformed topics are refused', () => {
  const authz = new AclFileAuthorizer({ acl_file: null, no_match: 'allow' }, parseAclFile('deny all all #'));
  assert.equal(authz.authorize({ ...alice, superuser: true }, 'publish', 'x'), true);
  assert.equal(authz.authorize(alice, 'publish', 'x'), false);
  const open = new AclFileAuthorizer({ acl_file: null, no_match: 'allow' }, []);
  assert.equal(open.authorize(alice, 'publish', 'a/+'), false, 'wildcard in a topic name');
  assert.equal(open.authorize(alice, 'publish', ''), false);
  assert.equal(open.authorize(alice, 'subscribe', 'a/#/b'), false);
  assert.equal(open.authorize(alice, 'subscribe', '$share/g'), false);
  assert.equal(open.authorize(alice, 'subscribe', '$share//a'), false);
  assert.equal(open.authorize(alice, 'publish', 'ok/topic'), true);
});

test('AclFileAuthorizer reads acl_file and reloads it; a failed reload keeps the old rules', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-acl-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'acl.conf');
  writeFileSync(file, 'allow all publish a\n');
  const authz = new AclFileAuthorizer({ acl_file: file, no_match: 'deny' });
  assert.equal(authz.ruleCount, 1);
  assert.equal(authz.authorize(anon, 'publish', 'a'), true);
  writeFileSync(file, 'allow all publish b\n');
  authz.reload();
  assert.equal(authz.authorize(anon, 'publish', 'a'), false);
  assert.equal(authz.authorize(anon, 'publish', 'b'), true);
  writeFileSync(file, 'allow all publish b\nnonsense\n');
  assert.throws(() => authz.reload(), /acl\.conf:2: expected "allow" or "deny", got "nonsense"/);
  assert.equal(authz.authorize(anon, 'publish', 'b'), true);
  assert.throws(() => new AclFileAuthorizer({ acl_file: join(dir, 'missing'), no_match: 'deny' }), AclFileError);
});
