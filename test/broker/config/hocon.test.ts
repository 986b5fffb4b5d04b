import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HoconError, parseHocon, parseHoconFile, parseHoconValue } from '../../../src/broker/config/hocon.js';

function syntaxError(text: string): HoconError {
  try {
    parseHocon(text);
  } catch (e) {
    assert.ok(e instanceof HoconError, `expected HoconError, got ${String(e)}`);
    assert.equal(e.code, 'HOCON_SYNTAX');
    return e;
  }
  assert.fail(`expected a syntax error for ${JSON.stringify(text)}`);
}

test('root object without braces, = : and { separators, comments, commas', () => {
  const doc = parseHocon(`
    # comment
    a = 1, b: "two" // trailing comment
    c { d = true }
    e = null
  `);
  assert.deepEqual(doc, { a: 1, b: 'two', c: { d: true }, e: null });
});

test('root object with braces (JSON) parses the same', () => {
  assert.deepEqual(parseHocon('{ "a": { "b": [1, 2.5, -3e2] } }'), { a: { b: [1, 2.5, -300] } });
});

test('dotted keys nest; quoted keys keep their dots', () => {
  assert.deepEqual(parseHocon('listeners.tcp.default.bind = "0.0.0.0:1883"\n"a.b" = 1'), {
    listeners: { tcp: { default: { bind: '0.0.0.0:1883' } } },
    'a.b': 1,
  });
});

test('duplicate keys: objects merge, other values are replaced', () => {
  const doc = parseHocon('a { x = 1, y = 2 }\na { y = 3 }\na.z = 4\nb = 1\nb = [1]\nc = { q = 1 }\nc = 5');
  assert.deepEqual(doc, { a: { x: 1, y: 3, z: 4 }, b: [1], c: 5 });
});

test('unquoted strings (durations, sizes, enums) stay strings; numbers and booleans are typed', () => {
  const doc = parseHocon('t = 15s\ns = 1MB\nv = verify_peer\nn = 42\nf = 1.5\nb = false');
  assert.deepEqual(doc, { t: '15s', s: '1MB', v: 'verify_peer', n: 42, f: 1.5, b: false });
});

test('string concatenation keeps inner whitespace; JSON escapes; triple-quoted strings', () => {
  const doc = parseHocon('a = hello  world\nb = "x\\ty\\u0041"\nc = """raw \\n "q" """');
  assert.deepEqual(doc, { a: 'hello  world', b: 'x\tyA', c: 'raw \\n "q" ' });
});

test('arrays over several lines with trailing comma', () => {
  assert.deepEqual(parseHocon('v = [\n  "tlsv1.3",\n  "tlsv1.2",\n]'), { v: ['tlsv1.3', 'tlsv1.2'] });
});

test('substitutions: whole values, concatenation, later definitions, env fallback, optional', () => {
  const doc = parseHocon('p = ${port}\nport = 1883\naddr = "127.0.0.1:"${port}\nhome = ${HOME}/x\nopt = ${?NOPE}\nkeep = 1', {
    env: { HOME: '/home/q' },
  });
  assert.deepEqual(doc, { p: 1883, port: 1883, addr: '127.0.0.1:1883', home: '/home/q/x', keep: 1 });
});

test('an object substitution merges with the object the key held before', () => {
  const doc = parseHocon('base { a = 1, b = 2 }\nl { b = 0, c = 3 }\nl = ${base}');
  assert.deepEqual(doc.l, { b: 2, c: 3, a: 1 });
});

test('substitution errors: unknown key, cycle, object inside a string', () => {
  assert.match(syntaxError('a = ${nope}').message, /<text>:1:5: cannot resolve \$\{nope\}/);
  assert.match(syntaxError('a = ${b}\nb = ${a}').message, /substitution cycle/);
  assert.match(syntaxError('o { x = 1 }\ns = "v"${o}').message, /cannot be part of a string/);
  assert.match(syntaxError('a = ${b}\nb = 1\na { c = 1 }').message, /cannot merge an object/);
});

test('syntax errors carry line and column', () => {
  assert.equal(syntaxError('a = 1\nb = 0.0.0.0:1883').message, '<text>:2:12: unexpected \':\' in a value (quote values that contain \':\', e.g. "0.0.0.0:1883")');
  assert.match(syntaxError('a = [1, 2').message, /^<text>:1:10: /);
  assert.match(syntaxError('a { b = 1').message, /expected '\}' before end of input/);
  assert.match(syntaxError('a = "open').message, /unterminated string/);
  assert.match(syntaxError('a = "\\q"').message, /invalid escape/);
  assert.match(syntaxError('a b = 1').message, /expected '=', ':' or '\{' after key 'a'/);
  assert.match(syntaxError('a = 1 }').message, /<text>:1:7: expected ',' or a newline after a field, found '\}'/);
  assert.match(syntaxError('a..b = 1').message, /empty key segment/);
  assert.match(syntaxError('a += 1').message, /'\+=' is not supported/);
  assert.match(syntaxError('a = {x=1} {y=2}').message, /concatenation is not supported/);
  assert.match(syntaxError('__proto__.x = 1').message, /'__proto__' is not allowed/);
  assert.match(syntaxError('a = ').message, /expected a value/);
  assert.equal(syntaxError('a = 1\n}').message, "<text>:2:1: unexpected '}'");
  assert.match(syntaxError('{ a = 1 } b = 2').message, /unexpected 'b' after the root object/);
});

test('includes: relative to the including file, missing optional include ignored, required fails, cycles fail', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'quicmq-hocon-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'inc.conf'), 'mqtt { max_inflight = 8 }\nshared = ${top}');
  writeFileSync(join(dir, 'main.conf'), 'top = 7\ninclude "inc.conf"\ninclude "missing.conf"\nmqtt.max_qos_allowed = 1\n');
  assert.deepEqual(parseHoconFile(join(dir, 'main.conf')), { top: 7, mqtt: { max_inflight: 8, max_qos_allowed: 1 }, shared: 7 });

  writeFileSync(join(dir, 'req.conf'), 'include required("nope.conf")');
  assert.throws(() => parseHoconFile(join(dir, 'req.conf')), /req\.conf:1:1: included file not found/);
  writeFileSync(join(dir, 'file.conf'), 'include required(file("inc.conf"))\ntop = 1');
  assert.equal((parseHoconFile(join(dir, 'file.conf')).mqtt as { max_inflight: number }).max_inflight, 8);

  writeFileSync(join(dir, 'a.conf'), 'include "b.conf"');
  writeFileSync(join(dir, 'b.conf'), 'include "a.conf"');
  assert.throws(() => parseHoconFile(join(dir, 'a.conf')), /include cycle/);
  writeFileSync(join(dir, 'url.conf'), 'include url("http://example.com/x.conf")');
  assert.throws(() => parseHoconFile(join(dir, 'url.conf')), /only file includes are supported/);
  assert.throws(() => parseHocon('include "x.conf"'), /include is only allowed in a config file/);
  for (let i = 0; i < 4; i++) writeFileSync(join(dir, `chain${i}.conf`), `include "chain${i + 1}.conf"\nlevel${i} = ${i}`);
  writeFileSync(join(dir, 'chain4.conf'), 'end = true');
  assert.equal(parseHoconFile(join(dir, 'chain0.conf')).end, true);
  assert.throws(() => parseHoconFile(join(dir, 'chain0.conf'), { maxIncludeDepth: 2 }), /includes nested deeper than 2/);
});

test('parseHoconValue: typed values, and errors for what is not one value', () => {
  assert.equal(parseHoconValue('64'), 64);
  assert.equal(parseHoconValue(' true '), true);
  assert.equal(parseHoconValue('"a:b"'), 'a:b');
  assert.deepEqual(parseHoconValue('[1, "x"]'), [1, 'x']);
  assert.deepEqual(parseHoconValue('{ a = 1 }'), { a: 1 });
  assert.equal(parseHoconValue('15s'), '15s');
  assert.throws(() => parseHoconValue('0.0.0.0:1883'), HoconError);
  assert.throws(() => parseHoconValue('${HOME}'), /substitutions are not allowed here/);
  assert.throws(() => parseHoconValue('1 }'), HoconError);
  assert.throws(() => parseHoconValue(''), /expected a value/);
});
