// Password file authentication: `username:$scrypt$N=16384,r=8,p=1$<salt>$<hash>` lines, written by
// `quicmq passwd`. scrypt (RFC 7914) is memory-hard, so a stolen file is expensive to brute-force; each
// line carries its own parameters, so they can be raised later without invalidating existing entries.
// Salt and hash are base64 without padding, as in the PHC string format.
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AuthenticationConfig } from '../config/types.js';
import type { Authenticator, AuthRequest, AuthResult } from './types.js';

export interface ScryptParams {
  /** CPU/memory cost, a power of two (RFC 7914 §2). */
  N: number;
  /** Block size. */
  r: number;
  /** Parallelism. */
  p: number;
}

/** Parameters for new hashes: 16 MiB and roughly 50 ms per check on current hardware. */
export const DEFAULT_SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 16384, r: 8, p: 1 };
/** Upper bounds accepted from a file, so an edited file cannot make each CONNECT cost gigabytes. */
export const MAX_SCRYPT_PARAMS: Readonly<ScryptParams> = { N: 1 << 20, r: 32, p: 16 };
const SALT_BYTES = 16;
const HASH_BYTES = 32;
const SCHEME = 'scrypt';

export type PasswordFileErrorCode = 'PASSWD_SYNTAX' | 'PASSWD_DUPLICATE' | 'PASSWD_READ';

export class PasswordFileError extends Error {
  constructor(
    readonly code: PasswordFileErrorCode,
    message: string,
    /** 1-based line number, when the problem is one line. */
    readonly line?: number,
  ) {
    super(message);
    this.name = 'PasswordFileError';
  }
}

interface DecodedHash {
  params: ScryptParams;
  salt: Buffer;
  hash: Buffer;
}

function b64(buf: Buffer): string {
  return buf.toString('base64').replace(/=+$/, '');
}

function scryptAsync(password: Buffer, salt: Buffer, params: ScryptParams, length: number): Promise<Buffer> {
  // RFC 7914 §2: memory use is about 128 * N * r * p bytes; node refuses above maxmem (default 32 MiB).
  const maxmem = 128 * params.N * params.r * params.p + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, { N: params.N, r: params.r, p: params.p, maxmem }, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

function toBuffer(password: string | Buffer): Buffer {
  return typeof password === 'string' ? Buffer.from(password, 'utf8') : password;
}

/** Checks scrypt parameters: N a power of two above 1, all within MAX_SCRYPT_PARAMS. */
export function validScryptParams(p: ScryptParams): boolean {
  return (
    Number.isInteger(p.N) && p.N > 1 && (p.N & (p.N - 1)) === 0 && p.N <= MAX_SCRYPT_PARAMS.N &&
    Number.isInteger(p.r) && p.r >= 1 && p.r <= MAX_SCRYPT_PARAMS.r &&
    Number.isInteger(p.p) && p.p >= 1 && p.p <= MAX_SCRYPT_PARAMS.p
  );
}

/** "$scrypt$N=16384,r=8,p=1$<salt>$<hash>" for a new random salt. */
export async function hashPassword(password: string | Buffer, params: ScryptParams = DEFAULT_SCRYPT_PARAMS): Promise<string> {
  if (!validScryptParams(params)) throw new RangeError(`invalid scrypt parameters N=${params.N}, r=${params.r}, p=${params.p}`);
  const salt = randomBytes(SALT_BYTES);
  const hash = await scryptAsync(toBuffer(password), salt, params, HASH_BYTES);
  return `$${SCHEME}$N=${params.N},r=${params.r},p=${params.p}$${b64(salt)}$${b64(hash)}`;
}

const B64 = /^[A-Za-z0-9+/]+$/;

/** Parses "$scrypt$N=..,r=..,p=..$salt$hash"; undefined when malformed or out of bounds. */
export function decodePasswordHash(encoded: string): DecodedHash | undefined {
  const parts = encoded.split('$');
  if (parts.length !== 5 || parts[0] !== '' || parts[1] !== SCHEME) return undefined;
  const m = /^N=(\d{1,8}),r=(\d{1,3}),p=(\d{1,3})$/.exec(parts[2]!);
  if (!m) return undefined;
  const params = { N: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (!validScryptParams(params)) return undefined;
  if (!B64.test(parts[3]!) || !B64.test(parts[4]!)) return undefined;
  const salt = Buffer.from(parts[3]!, 'base64');
  const hash = Buffer.from(parts[4]!, 'base64');
  if (salt.length < 8 || hash.length < 16 || hash.length > 64) return undefined;
  return { params, salt, hash };
}

/** Constant-time check of a password against an encoded hash; false for a malformed hash. */
export async function verifyPassword(password: string | Buffer, encoded: string): Promise<boolean> {
  const d = decodePasswordHash(encoded);
  if (!d) return false;
  const actual = await scryptAsync(toBuffer(password), d.salt, d.params, d.hash.length);
  return timingSafeEqual(actual, d.hash);
}

/** A username the file format can hold: non-empty, no ':' (the separator), no line breaks. */
export function validPasswordFileUsername(username: string): boolean {
  return username.length > 0 && !/[:\r\n]/.test(username) && username.trim() === username;
}

/** Parses a password file's text into username -> encoded hash. Throws PasswordFileError with the line. */
export function parsePasswordFile(text: string, fileName = '<password file>'): Map<string, string> {
  const users = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/\r$/, '');
    if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
    const where = `${fileName}:${i + 1}`;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new PasswordFileError('PASSWD_SYNTAX', `${where}: expected "username:$scrypt$...", got no username`, i + 1);
    const user = line.slice(0, colon);
    const encoded = line.slice(colon + 1);
    if (!validPasswordFileUsername(user)) throw new PasswordFileError('PASSWD_SYNTAX', `${where}: invalid username ${JSON.stringify(user)}`, i + 1);
    if (!decodePasswordHash(encoded)) {
      throw new PasswordFileError('PASSWD_SYNTAX', `${where}: password hash for "${user}" is not a valid "$scrypt$N=..,r=..,p=..$salt$hash" entry`, i + 1);
    }
    if (users.has(user)) throw new PasswordFileError('PASSWD_DUPLICATE', `${where}: user "${user}" appears twice`, i + 1);
    users.set(user, encoded);
  }
  return users;
}

/** The file text for a user map (one line per user, in insertion order). */
export function formatPasswordFile(users: ReadonlyMap<string, string>): string {
  let out = '';
  for (const [user, encoded] of users) out += `${user}:${encoded}\n`;
  return out;
}

/** Reads and parses a password file. Throws PasswordFileError. */
export function readPasswordFile(path: string): Map<string, string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new PasswordFileError('PASSWD_READ', `cannot read password file ${path}: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  return parsePasswordFile(text, path);
}

/**
 * The broker's built-in authenticator (authentication.* config):
 * - no username: `allow_anonymous` decides;
 * - with a password file: a username must exist and its password match ("bad username or password");
 * - without a password file: credentials are not checked and `allow_anonymous` decides for everyone.
 */
export class PasswordFileAuthenticator implements Authenticator {
  private users: Map<string, string>;
  /** Hash used for unknown users so that they take as long as known ones (no user enumeration by timing). */
  private readonly decoy: Promise<string>;

  constructor(
    private readonly config: Pick<AuthenticationConfig, 'allow_anonymous' | 'password_file'>,
    /** Parameters of the decoy hash; tests lower them. */
    decoyParams: ScryptParams = DEFAULT_SCRYPT_PARAMS,
  ) {
    this.users = config.password_file ? readPasswordFile(config.password_file) : new Map();
    this.decoy = config.password_file ? hashPassword(randomBytes(16), decoyParams) : Promise.resolve('');
  }

  /** Number of users loaded. */
  get userCount(): number {
    return this.users.size;
  }

  /** Re-reads the password file (SIGHUP). On error the previous users stay and the error is thrown. */
  reload(): void {
    if (this.config.password_file) this.users = readPasswordFile(this.config.password_file);
  }

  async authenticate(req: AuthRequest): Promise<AuthResult> {
    if (req.username === undefined) {
      return this.config.allow_anonymous ? { ok: true } : { ok: false, reason: 'not_authorized' };
    }
    if (!this.config.password_file) {
      return this.config.allow_anonymous ? { ok: true } : { ok: false, reason: 'not_authorized' };
    }
    const encoded = this.users.get(req.username);
    const password = req.password ?? Buffer.alloc(0);
    let ok = false;
    try {
      ok = await verifyPassword(password, encoded ?? (await this.decoy));
    } catch {
      ok = false; // scrypt failing (e.g. out of memory) refuses the client; it never throws into the broker
    }
    return ok && encoded !== undefined ? { ok: true } : { ok: false, reason: 'bad_username_or_password' };
  }
}
