// A small, strict HOCON subset parser (https://github.com/lightbend/config/blob/main/HOCON.md).
//
// Why not @pushcorn/hocon-parser (evaluated first): its API is async-only while loadConfig() is
// synchronous; even in strict mode it runs `| eval { expr = "..." }` transforms, i.e. arbitrary
// JavaScript from a config value (and so from an env variable or a --set flag), and fetches `include
// url(...)` over HTTP; a missing file resolves to `undefined` silently; its error messages name internal
// node ids instead of the file. A broker's config parser must not execute code, so this subset instead.
//
// Supported (HOCON.md section in brackets):
// - root object with or without braces; `#` and `//` comments; `,` or newline between fields [Syntax]
// - keys: unquoted, "quoted" (a dot inside quotes is part of the key), dotted paths `a.b.c = 1` [Paths]
// - `=`, `:` or nothing before `{`; duplicate keys: objects merge, anything else replaces [Duplicate keys]
// - values: "strings" with JSON escapes, """triple-quoted""", numbers, true/false/null, unquoted strings
//   (`15s`, `verify_peer`), arrays, objects; string concatenation of adjacent values [Value concatenation]
// - `${a.b}` and `${?a.b}` substitutions, resolved against the whole document after parsing, falling back
//   to environment variables [Substitutions]; a substitution that resolves to an object merges with an
//   object the same key held before it [Self-referential substitutions are NOT supported: cycle error]
// - `include "file"` (ignored when missing), `include required("file")`, `include file("file")`, relative
//   to the including file [Includes]; substitutions in an included file are resolved from the root.
// Not supported (a clear error, never a silent difference): `+=`, object/array concatenation, merging an
// object into a key whose value is an unresolved substitution, `include url(...)`/`classpath(...)`.
import { readFileSync, realpathSync, existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export type HoconValue = string | number | boolean | null | HoconValue[] | HoconObject;
export interface HoconObject {
  [key: string]: HoconValue;
}

/** A syntax or resolution error, located in its file (or "<text>") by line and column (1-based). */
export class HoconError extends Error {
  readonly code = 'HOCON_SYNTAX';
  constructor(
    readonly reason: string,
    readonly file: string | undefined,
    readonly line: number,
    readonly col: number,
  ) {
    super(`${file ?? '<text>'}:${line}:${col}: ${reason}`);
    this.name = 'HoconError';
  }
}

export interface HoconOptions {
  /** File name used in error messages and as the base for relative includes. */
  file?: string;
  /** Fallback for `${NAME}` substitutions not found in the document (HOCON.md "Substitutions"). */
  env?: Record<string, string | undefined>;
  /** Nesting limit for includes (default 8): an include cycle or runaway chain fails instead of recursing. */
  maxIncludeDepth?: number;
}

const DEFAULT_MAX_INCLUDE_DEPTH = 8;

interface Loc {
  file: string | undefined;
  line: number;
  col: number;
}

type Piece =
  | { kind: 'text'; value: string; quoted: boolean }
  | { kind: 'subst'; path: string[]; optional: boolean; loc: Loc }
  | { kind: 'object'; value: RawObject }
  | { kind: 'array'; value: Raw[] };

/** A value holding substitutions, replaced by its result once the whole document is parsed. */
class Unresolved {
  state: 'pending' | 'resolving' | 'done' = 'pending';
  result: HoconValue | undefined;
  /** The object this key held before (HOCON merges it with an object-valued substitution). */
  base: RawObject | undefined;
  constructor(
    readonly pieces: Piece[],
    readonly loc: Loc,
  ) {}
}

type Raw = string | number | boolean | null | Raw[] | RawObject | Unresolved;
interface RawObject {
  [key: string]: Raw;
}

function isObject(v: unknown): v is RawObject {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Unresolved);
}

// HOCON.md "Unquoted strings": these characters may not appear unquoted.
const FORBIDDEN_UNQUOTED = new Set(['$', '"', '{', '}', '[', ']', ':', '=', ',', '+', '#', '`', '^', '?', '!', '@', '*', '&', '\\']);
const NUMBER = /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/;
const INLINE_WS = new Set([' ', '\t', '\ufeff', '\u00a0']);

interface SharedState {
  env: Record<string, string | undefined>;
  includeStack: string[];
  maxIncludeDepth: number;
}

class Parser {
  private pos = 0;
  private line = 1;
  private col = 1;

  constructor(
    private readonly text: string,
    private readonly file: string | undefined,
    private readonly shared: SharedState,
  ) {}

  parseDocument(): RawObject {
    const root: RawObject = {};
    this.skipBlank();
    if (this.peek() === '{') {
      this.advance();
      this.parseObjectBody(root, '}');
      this.expect('}');
      this.skipBlank();
      if (!this.atEnd()) this.fail(`unexpected ${this.describe()} after the root object`);
    } else {
      this.parseObjectBody(root, undefined);
    }
    return root;
  }

  /** A single value (for env variables and --set flags): no substitutions, nothing after it. */
  parseStandaloneValue(): Raw {
    this.skipBlank();
    if (this.atEnd()) this.fail('expected a value');
    const value = this.parseValue(undefined);
    this.skipBlank();
    if (!this.atEnd()) this.fail(`unexpected ${this.describe()} after the value`);
    return value;
  }

  // ---- scanning helpers ----
  private atEnd(): boolean {
    return this.pos >= this.text.length;
  }
  private peek(offset = 0): string {
    return this.text[this.pos + offset] ?? '';
  }
  private startsWith(s: string): boolean {
    return this.text.startsWith(s, this.pos);
  }
  private advance(n = 1): void {
    for (let i = 0; i < n && this.pos < this.text.length; i++) {
      if (this.text[this.pos] === '\n') {
        this.line++;
        this.col = 1;
      } else {
        this.col++;
      }
      this.pos++;
    }
  }
  loc(): Loc {
    return { file: this.file, line: this.line, col: this.col };
  }
  fail(reason: string, at: Loc = this.loc()): never {
    throw new HoconError(reason, at.file, at.line, at.col);
  }
  private describe(): string {
    if (this.atEnd()) return 'end of input';
    const c = this.peek();
    return c === '\n' ? 'newline' : `'${c}'`;
  }
  private expect(c: string): void {
    if (this.peek() !== c) this.fail(`expected '${c}', found ${this.describe()}`);
    this.advance();
  }
  private atComment(): boolean {
    return this.peek() === '#' || this.startsWith('//');
  }
  private skipComment(): void {
    while (!this.atEnd() && this.peek() !== '\n') this.advance();
  }
  /** Spaces and comments on the current line. */
  private skipInline(): void {
    for (;;) {
      if (INLINE_WS.has(this.peek()) || this.peek() === '\r') this.advance();
      else if (this.atComment()) this.skipComment();
      else return;
    }
  }
  /** Spaces, comments and newlines. */
  private skipBlank(): void {
    for (;;) {
      this.skipInline();
      if (this.peek() === '\n') this.advance();
      else return;
    }
  }

  // ---- objects ----
  private parseObjectBody(obj: RawObject, closing: '}' | undefined): void {
    for (;;) {
      this.skipBlank();
      if (this.atEnd()) {
        if (closing) this.fail(`expected '${closing}' before end of input`);
        return;
      }
      if (closing && this.peek() === closing) return;
      if (!closing && this.peek() === '}') this.fail("unexpected '}'");
      if (this.atIncludeKeyword()) this.parseInclude(obj);
      else this.parseField(obj);
      // HOCON.md "Commas": fields are separated by a newline or one comma.
      this.skipInline();
      if (this.peek() === ',') {
        this.advance();
        continue;
      }
      if (this.peek() === '\n' || this.atEnd() || (closing && this.peek() === closing)) continue;
      this.fail(`expected ',' or a newline after a field, found ${this.describe()}`);
    }
  }

  private parseField(obj: RawObject): void {
    const keyLoc = this.loc();
    const path = this.parseKey();
    this.skipInline();
    let value: Raw;
    if (this.peek() === '{') {
      value = this.parseObject();
    } else if (this.peek() === '=' || this.peek() === ':') {
      this.advance();
      this.skipBlank();
      value = this.parseValue('}');
    } else if (this.startsWith('+=')) {
      this.fail("'+=' is not supported by this HOCON subset; write the whole array");
    } else {
      this.fail(`expected '=', ':' or '{' after key '${path.join('.')}', found ${this.describe()}`);
    }
    setPath(obj, path, value, keyLoc, this);
  }

  private parseKey(): string[] {
    const parts: string[] = [];
    let current = '';
    let any = false;
    for (;;) {
      const c = this.peek();
      if (c === '"') {
        current += this.parseQuoted();
        any = true;
      } else if (c === '.') {
        if (!any) this.fail('empty key segment');
        parts.push(current);
        current = '';
        any = false;
        this.advance();
      } else if (c && !INLINE_WS.has(c) && c !== '\n' && c !== '\r' && !FORBIDDEN_UNQUOTED.has(c) && !this.startsWith('//')) {
        current += c;
        any = true;
        this.advance();
      } else {
        break;
      }
    }
    if (!any) this.fail(parts.length ? 'empty key segment' : `expected a key, found ${this.describe()}`);
    parts.push(current);
    return parts;
  }

  private parseObject(): RawObject {
    this.expect('{');
    const obj: RawObject = {};
    this.parseObjectBody(obj, '}');
    this.expect('}');
    return obj;
  }

  private parseArray(): Raw[] {
    this.expect('[');
    const out: Raw[] = [];
    for (;;) {
      this.skipBlank();
      if (this.peek() === ']') break;
      if (this.atEnd()) this.fail("expected ']' before end of input");
      out.push(this.parseValue(']'));
      this.skipInline();
      if (this.peek() === ',') this.advance();
      else if (this.peek() !== '\n' && this.peek() !== ']') this.fail(`expected ',' or ']' in array, found ${this.describe()}`);
    }
    this.expect(']');
    return out;
  }

  // ---- values ----
  /** A value: one or more pieces on one line, concatenated as a string when more than one. */
  private parseValue(closing: '}' | ']' | undefined): Raw {
    const start = this.loc();
    const pieces: Piece[] = [];
    for (;;) {
      const wsStart = this.pos;
      while (INLINE_WS.has(this.peek())) this.advance();
      const ws = this.text.slice(wsStart, this.pos);
      const c = this.peek();
      if (this.atEnd() || c === '\n' || c === '\r' || c === ',' || c === closing || this.atComment()) break;
      // HOCON.md "String value concatenation": whitespace between values is kept, around them dropped.
      if (pieces.length > 0 && ws) pieces.push({ kind: 'text', value: ws, quoted: true });
      if (c === '"') pieces.push({ kind: 'text', value: this.parseQuoted(), quoted: true });
      else if (c === '{') pieces.push({ kind: 'object', value: this.parseObject() });
      else if (c === '[') pieces.push({ kind: 'array', value: this.parseArray() });
      else if (c === '$' && this.peek(1) === '{') pieces.push(this.parseSubstitution());
      else if (FORBIDDEN_UNQUOTED.has(c)) {
        const hint = c === ':' ? ' (quote values that contain \':\', e.g. "0.0.0.0:1883")' : '';
        this.fail(`unexpected '${c}' in a value${hint}`);
      } else pieces.push({ kind: 'text', value: this.parseUnquoted(), quoted: false });
    }
    if (pieces.length === 0) this.fail(`expected a value, found ${this.describe()}`, start);
    if (pieces.length === 1) {
      const p = pieces[0]!;
      if (p.kind === 'object' || p.kind === 'array') return p.value;
      if (p.kind === 'text') return p.quoted ? p.value : unquotedScalar(p.value);
    }
    if (pieces.some((p) => p.kind === 'object' || p.kind === 'array')) {
      this.fail('object and array concatenation is not supported by this HOCON subset', start);
    }
    if (pieces.every((p) => p.kind === 'text')) return pieces.map((p) => (p as { value: string }).value).join('');
    return new Unresolved(pieces, start);
  }

  private parseUnquoted(): string {
    let out = '';
    for (;;) {
      const c = this.peek();
      if (!c || INLINE_WS.has(c) || c === '\n' || c === '\r' || FORBIDDEN_UNQUOTED.has(c) || this.startsWith('//')) break;
      out += c;
      this.advance();
    }
    return out;
  }

  private parseQuoted(): string {
    if (this.startsWith('"""')) {
      // HOCON.md "Multi-line strings": no escapes; extra quotes at the end belong to the string.
      this.advance(3);
      const start = this.pos;
      const end = this.text.indexOf('"""', start);
      if (end < 0) this.fail('unterminated """ string');
      let close = end;
      while (this.text[close + 3] === '"') close++;
      const s = this.text.slice(start, close);
      this.advance(close + 3 - this.pos);
      return s;
    }
    this.expect('"');
    let out = '';
    for (;;) {
      const c = this.peek();
      if (!c || c === '\n') this.fail('unterminated string');
      if (c === '"') {
        this.advance();
        return out;
      }
      if (c === '\\') {
        const e = this.peek(1);
        const simple: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
        if (e in simple) {
          out += simple[e];
          this.advance(2);
        } else if (e === 'u' && /^[0-9a-fA-F]{4}$/.test(this.text.slice(this.pos + 2, this.pos + 6))) {
          out += String.fromCharCode(parseInt(this.text.slice(this.pos + 2, this.pos + 6), 16));
          this.advance(6);
        } else {
          this.fail(`invalid escape '\\${e}' in string`);
        }
        continue;
      }
      out += c;
      this.advance();
    }
  }

  private parseSubstitution(): Piece {
    const loc = this.loc();
    this.advance(2);
    let optional = false;
    if (this.peek() === '?') {
      optional = true;
      this.advance();
    }
    while (INLINE_WS.has(this.peek())) this.advance();
    const path = this.parseKey();
    while (INLINE_WS.has(this.peek())) this.advance();
    this.expect('}');
    return { kind: 'subst', path, optional, loc };
  }

  // ---- includes ----
  private atIncludeKeyword(): boolean {
    if (!this.startsWith('include')) return false;
    const next = this.peek(7);
    return next === ' ' || next === '\t';
  }

  private parseInclude(obj: RawObject): void {
    const loc = this.loc();
    this.advance(7);
    this.skipInline();
    let required = false;
    if (this.startsWith('required(')) {
      required = true;
      this.advance(9);
      this.skipInline();
    }
    let wrapped = false;
    if (this.startsWith('file(')) {
      wrapped = true;
      this.advance(5);
      this.skipInline();
    } else if (this.startsWith('url(') || this.startsWith('classpath(')) {
      this.fail('only file includes are supported (no url(...) or classpath(...))');
    }
    if (this.peek() !== '"') this.fail('expected a quoted file name after include');
    const name = this.parseQuoted();
    this.skipInline();
    if (wrapped) this.expect(')');
    if (required) {
      this.skipInline();
      this.expect(')');
    }
    if (!this.file) this.fail('include is only allowed in a config file', loc);
    const target = resolve(dirname(this.file), name);
    if (!existsSync(target)) {
      if (required) this.fail(`included file not found: ${target}`, loc);
      return; // HOCON.md "Include semantics: missing files": a plain include of a missing file is ignored.
    }
    const real = realpathSync(target);
    if (this.shared.includeStack.includes(real)) this.fail(`include cycle: ${target}`, loc);
    if (this.shared.includeStack.length >= this.shared.maxIncludeDepth) {
      this.fail(`includes nested deeper than ${this.shared.maxIncludeDepth}`, loc);
    }
    this.shared.includeStack.push(real);
    try {
      const included = new Parser(readFileSync(target, 'utf8'), target, this.shared).parseDocument();
      for (const [k, v] of Object.entries(included)) setPath(obj, [k], v, loc, this);
    } finally {
      this.shared.includeStack.pop();
    }
  }
}

function unquotedScalar(s: string): string | number | boolean | null {
  if (s === 'true') return true;
  if (s === 'false') return false;
  if (s === 'null') return null;
  if (NUMBER.test(s)) return Number(s);
  return s;
}

/** HOCON.md "Duplicate keys and object merging". */
function setPath(obj: RawObject, path: string[], value: Raw, loc: Loc, p: Parser): void {
  let target = obj;
  for (let i = 0; i < path.length; i++) {
    const key = path[i]!;
    if (key === '__proto__') p.fail("the key '__proto__' is not allowed", loc);
    const existing = Object.prototype.hasOwnProperty.call(target, key) ? target[key] : undefined;
    if (i < path.length - 1) {
      if (existing instanceof Unresolved) p.fail(`cannot set '${path.join('.')}' inside a substitution (unsupported)`, loc);
      if (!isObject(existing)) target[key] = {};
      target = target[key] as RawObject;
      continue;
    }
    if (isObject(existing) && isObject(value)) mergeInto(existing, value, loc, p);
    else if (existing instanceof Unresolved && isObject(value)) {
      p.fail(`cannot merge an object into '${path.join('.')}', which holds a substitution (unsupported)`, loc);
    } else {
      if (value instanceof Unresolved && isObject(existing)) value.base = existing;
      target[key] = value;
    }
  }
}

function mergeInto(target: RawObject, source: RawObject, loc: Loc, p: Parser): void {
  for (const [k, v] of Object.entries(source)) setPath(target, [k], v, loc, p);
}

/** Replaces every Unresolved in the document by its value (HOCON.md "Substitutions"). */
class Resolver {
  constructor(
    private readonly root: RawObject,
    private readonly env: Record<string, string | undefined>,
  ) {}

  resolveAll(): HoconObject {
    return this.finish(this.root) as HoconObject;
  }

  private finish(v: Raw): HoconValue | undefined {
    if (v instanceof Unresolved) {
      const resolved = this.resolve(v);
      return resolved === undefined ? undefined : this.finish(resolved);
    }
    if (Array.isArray(v)) {
      const out: HoconValue[] = [];
      for (const e of v) {
        const r = this.finish(e);
        if (r !== undefined) out.push(r);
      }
      return out;
    }
    if (isObject(v)) {
      const out: HoconObject = {};
      for (const [k, e] of Object.entries(v)) {
        const r = this.finish(e);
        if (r !== undefined) out[k] = r;
      }
      return out;
    }
    return v;
  }

  private resolve(u: Unresolved): HoconValue | undefined {
    if (u.state === 'done') return u.result;
    if (u.state === 'resolving') {
      throw new HoconError('substitution cycle (self-referential substitutions are not supported)', u.loc.file, u.loc.line, u.loc.col);
    }
    u.state = 'resolving';
    let result: HoconValue | undefined;
    if (u.pieces.length === 1 && u.pieces[0]!.kind === 'subst') {
      result = this.lookup(u.pieces[0]!);
      if (isObject(result) && u.base) result = mergeResolved(this.finish(u.base) as HoconObject, result);
    } else {
      let s = '';
      for (const p of u.pieces) {
        if (p.kind === 'text') s += p.value;
        else if (p.kind === 'subst') {
          const v = this.lookup(p);
          if (v === undefined) continue;
          if (typeof v === 'object' && v !== null) {
            throw new HoconError(`\${${p.path.join('.')}} is an object or array and cannot be part of a string`, p.loc.file, p.loc.line, p.loc.col);
          }
          s += String(v);
        }
      }
      result = s;
    }
    u.state = 'done';
    u.result = result;
    return result;
  }

  private lookup(p: Piece & { kind: 'subst' }): HoconValue | undefined {
    let cur: Raw | undefined = this.root;
    for (const key of p.path) {
      if (cur instanceof Unresolved) cur = this.resolve(cur) as Raw | undefined;
      if (!isObject(cur) || !Object.prototype.hasOwnProperty.call(cur, key)) {
        cur = undefined;
        break;
      }
      cur = cur[key];
    }
    if (cur instanceof Unresolved) cur = this.resolve(cur) as Raw | undefined;
    // finish() builds new objects and arrays, so two keys never share (and later mutate) one value.
    if (cur !== undefined) return this.finish(cur);
    const fromEnv = this.env[p.path.join('.')];
    if (fromEnv !== undefined) return fromEnv;
    if (p.optional) return undefined;
    throw new HoconError(`cannot resolve \${${p.path.join('.')}}: no such key and no such environment variable`, p.loc.file, p.loc.line, p.loc.col);
  }
}

function mergeResolved(base: HoconObject, over: HoconObject): HoconObject {
  const out: HoconObject = { ...base };
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isObject(b) && isObject(v) ? mergeResolved(b as HoconObject, v as HoconObject) : v;
  }
  return out;
}

function shared(opts: HoconOptions): SharedState {
  return { env: opts.env ?? {}, includeStack: [], maxIncludeDepth: opts.maxIncludeDepth ?? DEFAULT_MAX_INCLUDE_DEPTH };
}

/** Parses a HOCON document and resolves its substitutions. Throws HoconError. */
export function parseHocon(text: string, opts: HoconOptions = {}): HoconObject {
  const state = shared(opts);
  if (opts.file) state.includeStack.push(existsSync(opts.file) ? realpathSync(opts.file) : resolve(opts.file));
  const root = new Parser(text, opts.file, state).parseDocument();
  return new Resolver(root, state.env).resolveAll();
}

/** Reads and parses a HOCON file. Throws HoconError (syntax) or a Node error (unreadable file). */
export function parseHoconFile(file: string, opts: Omit<HoconOptions, 'file'> = {}): HoconObject {
  return parseHocon(readFileSync(file, 'utf8'), { ...opts, file });
}

/**
 * Parses one HOCON value (a number, boolean, null, string, array or object), as used for environment
 * variables and --set flags. Substitutions and includes are not allowed there. Throws HoconError.
 */
export function parseHoconValue(text: string): HoconValue {
  const parser = new Parser(text, undefined, shared({}));
  const raw = parser.parseStandaloneValue();
  const hasSubstitution = (v: Raw): boolean =>
    v instanceof Unresolved || (Array.isArray(v) ? v.some(hasSubstitution) : isObject(v) && Object.values(v).some(hasSubstitution));
  if (hasSubstitution(raw)) parser.fail('substitutions are not allowed here');
  return raw as HoconValue;
}
