// What the client and server handshake machines share: the event queue, per-level message
// reassembly, the "nothing a peer sends escapes as an exception" boundary, message-order checks, the
// checks of the peer's CertificateVerify and Finished, key installation with key logging, KeyUpdate
// (TLS mode) and the exporter.
import { randomBytes, type KeyObject } from 'node:crypto';
import { hashLength } from '../crypto/hkdf.js';
import { unpooledCopy } from '../crypto/keys.js';
import { Alert, TlsAlert, alert, quicErrorCodeForAlert } from './alerts.js';
import { CIPHER_SUITES, DEFAULT_CIPHER_SUITES, type CipherSuiteInfo } from './cipher-suites.js';
import { NamedGroup, type CipherSuiteName, type NamedGroupName } from './constants.js';
import { DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE, HandshakeFramer, type RawHandshakeMessage } from './framer.js';
import { exportKeyingMaterial, finishedVerifyData, macEqual, nextTrafficSecret, type KeySchedule } from './key-schedule.js';
import { SUPPORTED_GROUPS } from './key-exchange.js';
import { keyLogLine, type KeyLogLabel, type KeyLogger } from './keylog.js';
import { decodeCertificateVerify, decodeFinished, decodeKeyUpdate, encodeKeyUpdate } from './messages.js';
import { certificateVerifyContent, isCertificateVerifyScheme, verifyWithPublicKey } from './signatures.js';
import { HandshakeType } from './constants.js';
import { Transcript } from './transcript.js';
import { certificatePublicKey, loadCertificateChain, loadPrivateKey, createTrustStore, type TrustStore } from './certificates.js';
import type { EncryptionLevel, TlsCommonOptions, TlsEvent, TlsMode } from './types.js';

const LEVELS: readonly EncryptionLevel[] = ['initial', 'early', 'handshake', 'application'];

/** Thrown (synchronously, to the local caller) for API misuse such as bad options; never for peer input. */
export class TlsConfigError extends Error {
  readonly code = 'ERR_TLS_CONFIG';
  constructor(message: string) {
    super(message);
    this.name = 'TlsConfigError';
  }
}

export interface LocalIdentity {
  chain: Uint8Array[];
  key: KeyObject;
}

export abstract class TlsEngine {
  protected readonly mode: TlsMode;
  protected readonly alpnProtocols: readonly string[];
  protected readonly suites: readonly CipherSuiteInfo[];
  protected readonly groups: readonly number[];
  /** Ours, sent in the ClientHello or EncryptedExtensions (RFC 9001 §8.2); released at completion. */
  protected transportParameters: Buffer | undefined;
  protected readonly random: (n: number) => Buffer;
  protected readonly now: () => number;
  protected readonly identity: LocalIdentity | undefined;
  private readonly keylog: KeyLogger | undefined;
  private readonly caOption: Array<string | Uint8Array> | undefined;
  private trustStoreValue: TrustStore | undefined;

  /** Replaced by an empty one at completion (markComplete). */
  protected transcript = new Transcript();
  protected suite: CipherSuiteInfo | undefined;
  protected schedule: KeySchedule | undefined;
  /** ClientHello.random: the key log's connection identifier (NSS key log format). */
  protected clientRandom: Buffer = Buffer.alloc(32);
  protected readLevel: EncryptionLevel = 'initial';
  protected exporterMasterSecret: Buffer | undefined;
  /** Current application traffic secrets, for KeyUpdate in 'tls' mode. */
  protected applicationReadSecret: Buffer | undefined;
  protected applicationWriteSecret: Buffer | undefined;
  /** The peer's certificate_list (leaf first), once received and verified (or restored from a ticket). */
  protected peerCertificates: Buffer[] = [];
  /** The handshake state machine's current state, named in unexpected_message alerts. */
  protected abstract state: string;

  private events: TlsEvent[] = [];
  private readonly framers: Record<EncryptionLevel, HandshakeFramer>;
  private failure: { alert: number; message: string } | undefined;
  private completed = false;

  constructor(opts: TlsCommonOptions) {
    this.mode = opts.mode ?? 'quic';
    if (this.mode !== 'quic' && this.mode !== 'tls') throw new TlsConfigError(`unknown mode ${String(opts.mode)}`);
    this.alpnProtocols = opts.alpn ?? [];
    for (const p of this.alpnProtocols) {
      // RFC 7301 §3.1: ProtocolName<1..2^8-1>.
      if (p.length === 0 || Buffer.byteLength(p, 'latin1') > 255) throw new TlsConfigError(`invalid ALPN protocol "${p}"`);
    }
    const suiteNames: readonly CipherSuiteName[] = opts.cipherSuites ?? DEFAULT_CIPHER_SUITES;
    this.suites = suiteNames.map((n) => {
      const s = CIPHER_SUITES[n];
      if (!s) throw new TlsConfigError(`unknown cipher suite ${n}`);
      return s;
    });
    if (this.suites.length === 0) throw new TlsConfigError('no cipher suites configured');
    const groupNames: readonly NamedGroupName[] = opts.groups ?? SUPPORTED_GROUPS;
    this.groups = groupNames.map((g) => {
      const id = NamedGroup[g];
      if (id === undefined) throw new TlsConfigError(`unknown group ${g}`);
      return id;
    });
    if (this.groups.length === 0) throw new TlsConfigError('no key exchange groups configured');
    if (this.mode === 'quic' && opts.transportParameters === undefined) {
      throw new TlsConfigError("'quic' mode needs transportParameters (RFC 9001 §8.2)");
    }
    this.transportParameters = opts.transportParameters ? unpooledCopy(opts.transportParameters) : undefined;
    const random = opts.random ?? randomBytes;
    this.random = (n: number): Buffer => {
      const b = random(n);
      if (b.length !== n) throw new TlsConfigError(`random source returned ${b.length} bytes, ${n} requested`);
      return Buffer.from(b);
    };
    this.now = opts.now ?? Date.now;
    this.keylog = opts.keylog;
    this.caOption = opts.ca;
    this.trustStoreValue = opts.trustStore;
    this.identity = loadIdentity(opts);
    const max = opts.maxHandshakeMessageSize ?? DEFAULT_MAX_HANDSHAKE_MESSAGE_SIZE;
    this.framers = {
      initial: new HandshakeFramer(max),
      early: new HandshakeFramer(max),
      handshake: new HandshakeFramer(max),
      application: new HandshakeFramer(max),
    };
  }

  /** The next event, in order; undefined when there is none. */
  poll(): TlsEvent | undefined {
    const ev = this.events.shift();
    // Drained: a new empty queue, so the spare capacity the handshake's burst of events grew is not kept
    // for the life of the connection.
    if (ev !== undefined && this.events.length === 0) this.events = [];
    return ev;
  }

  /** True once the handshake completed (and no error happened since). */
  get handshakeComplete(): boolean {
    return this.completed && !this.failure;
  }

  /** The fatal error, if the engine stopped. */
  get error(): { alert: number; message: string } | undefined {
    return this.failure;
  }

  /**
   * Handshake bytes received at `level`, in order (QUIC: the CRYPTO stream of that packet number
   * space). Messages may be split or coalesced arbitrarily. Never throws for anything the peer sent:
   * failures become an 'error' event and stop the engine.
   */
  receive(level: EncryptionLevel, data: Uint8Array): void {
    if (this.failure) return;
    if (!LEVELS.includes(level)) throw new TlsConfigError(`unknown encryption level ${String(level)}`);
    this.guard(() => {
      if (data.length === 0) return;
      // RFC 8446 §5.1 / RFC 9001 §4.1.3: handshake data must arrive at the level the handshake is at.
      if (level !== this.readLevel) {
        throw alert('unexpected_message', `handshake data at the ${level} level while expecting ${this.readLevel}`);
      }
      const framer = this.framers[level];
      framer.push(Buffer.from(data.buffer, data.byteOffset, data.byteLength));
      // Each iteration consumes a complete message from the framer, so the loop is bounded by the input.
      for (let msg = framer.next(); msg !== undefined && !this.failure; msg = this.failure ? undefined : framer.next()) {
        const atLevel = this.readLevel;
        if (atLevel !== level) throw alert('unexpected_message', `handshake message after a key change at ${level}`);
        this.handleMessage(level, msg);
      }
    });
  }

  /**
   * RFC 8446 §7.5 exporter (RFC 5705 semantics) once the handshake is complete. Throws TlsConfigError
   * before that.
   */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Buffer {
    if (!this.exporterMasterSecret || !this.suite) throw new TlsConfigError('exporter not available before the handshake completes');
    return exportKeyingMaterial(this.suite.hash, this.exporterMasterSecret, label, context, length);
  }

  protected abstract handleMessage(level: EncryptionLevel, msg: RawHandshakeMessage): void;

  /** RFC 8446 §4 (the message order of §2): each state admits one message type; any other is unexpected_message. */
  protected expect(msg: RawHandshakeMessage, type: number, fn: () => void): void {
    if (msg.type !== type) throw alert('unexpected_message', `expected handshake message ${type}, got ${msg.type} (${this.state})`);
    fn();
  }

  /**
   * RFC 8446 §4.4.3: the peer's CertificateVerify must use a scheme we offered that is allowed for
   * CertificateVerify (never rsa_pkcs1), and its signature over the transcript so far must verify with
   * the key of the peer's leaf certificate. Adds the message to the transcript.
   */
  protected verifyPeerCertificateVerify(msg: RawHandshakeMessage, peer: 'server' | 'client', offeredSchemes: readonly number[]): void {
    const cv = decodeCertificateVerify(msg.body);
    if (!isCertificateVerifyScheme(cv.scheme) || !offeredSchemes.includes(cv.scheme)) {
      throw alert('illegal_parameter', `${peer} CertificateVerify uses scheme 0x${cv.scheme.toString(16)} that was not offered`);
    }
    const content = certificateVerifyContent(peer, this.transcript.current());
    // The leaf was parsed (and cached) when its chain was validated: its key is not parsed again here.
    const key = certificatePublicKey(this.peerCertificates[0]!);
    if (key === undefined || !verifyWithPublicKey(key, cv.scheme, content, cv.signature)) {
      throw alert('decrypt_error', `${peer} CertificateVerify signature does not verify`);
    }
    this.transcript.add(msg.raw);
  }

  /**
   * RFC 8446 §4.4.4: the peer's Finished carries HMAC(finished_key(its handshake traffic secret),
   * Transcript-Hash(up to its CertificateVerify)); anything else is decrypt_error. Adds the message to
   * the transcript.
   */
  protected verifyPeerFinished(msg: RawHandshakeMessage, peer: 'server' | 'client', peerHandshakeSecret: Buffer): void {
    const hash = this.suite!.hash;
    const verifyData = decodeFinished(msg.body, hashLength(hash));
    const expected = finishedVerifyData(hash, peerHandshakeSecret, this.transcript.current());
    if (!macEqual(expected, verifyData)) throw alert('decrypt_error', `${peer} Finished does not verify`);
    this.transcript.add(msg.raw);
  }

  /**
   * Runs `fn`, turning any exception into the engine's fatal error. A TlsConfigError (local misuse,
   * such as a broken random source) also propagates to the caller: it is a bug to fix, not a peer's doing.
   */
  protected guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.fail(err);
      if (err instanceof TlsConfigError) throw err;
    }
  }

  protected fail(err: unknown): void {
    if (this.failure) return;
    let code: number = Alert.internal_error;
    let message = 'internal error';
    let quicErrorCode: number | undefined;
    if (err instanceof TlsAlert) {
      code = err.alert;
      message = err.message;
      quicErrorCode = err.quicErrorCode;
    } else if (err instanceof Error) {
      // CertificateError (certificates.ts) and similar carry the alert to send.
      const a = (err as Error & { alert?: unknown }).alert;
      if (typeof a === 'number') code = a;
      message = err.message;
    }
    this.failure = { alert: code, message };
    this.events.push({ type: 'error', alert: code, message, quicErrorCode: quicErrorCode ?? quicErrorCodeForAlert(code) });
  }

  protected emit(event: TlsEvent): void {
    this.events.push(event);
  }

  protected send(level: EncryptionLevel, data: Buffer): void {
    this.emit({ type: 'send', level, data });
  }

  /** Emits a traffic secret for QUIC/the record layer, and logs it when a key logger is set. */
  protected installKey(
    level: EncryptionLevel,
    direction: 'read' | 'write',
    secret: Buffer,
    keylogLabel?: KeyLogLabel,
    suite: CipherSuiteInfo = this.suite!,
  ): void {
    if (keylogLabel) this.logSecret(keylogLabel, secret);
    // The connection keeps the 1-RTT secrets for key updates (RFC 9001 §6): give it a copy that does not pin
    // a Buffer pool block (crypto/keys.ts unpooledCopy).
    this.emit({ type: 'keys', level, direction, suite, secret: unpooledCopy(secret) });
  }

  /** Reports a secret to the key logger only; a failing logger must not break the handshake. */
  protected logSecret(label: KeyLogLabel, secret: Buffer): void {
    if (!this.keylog) return;
    try {
      this.keylog(keyLogLine(label, this.clientRandom, secret));
    } catch {
      // Key logging is a debugging aid; losing a line is better than losing the connection.
    }
  }

  /** RFC 8446 §5.1: a handshake message must not span a key change, so nothing may be left behind. */
  protected setReadLevel(level: EncryptionLevel): void {
    if (this.framers[this.readLevel].buffered > 0) {
      throw alert('unexpected_message', `handshake data left at the ${this.readLevel} level across a key change`);
    }
    this.readLevel = level;
  }

  protected markComplete(): void {
    this.completed = true;
    // RFC 8446 §7.1: once Finished is processed every secret of the handshake has been derived, so the
    // key schedule (early, handshake and master secrets) and the running transcript hash are of no further
    // use, nor are our transport parameters (sent in the ClientHello or EncryptedExtensions, RFC 9001
    // §8.2). Released, they no longer take memory for the life of the connection, nor keep secrets longer
    // than needed. A transcript used after this by mistake fails loudly (the new one has no hash fixed).
    this.schedule = undefined;
    this.transcript = new Transcript();
    this.transportParameters = undefined;
    // RFC 9001 §6: QUIC has its own key update, so the application traffic secrets, kept for a TLS
    // KeyUpdate (RFC 8446 §4.6.3), have no use in 'quic' mode (the connection holds its own copies).
    if (this.mode === 'quic') {
      this.applicationReadSecret = undefined;
      this.applicationWriteSecret = undefined;
    }
  }

  protected get trustStore(): TrustStore {
    this.trustStoreValue ??= createTrustStore(this.caOption);
    return this.trustStoreValue;
  }

  /** Post-handshake messages both roles treat alike: KeyUpdate (RFC 8446 §4.6.3). */
  protected handleKeyUpdate(msg: RawHandshakeMessage): void {
    // RFC 9001 §6: QUIC has its own key update; a TLS KeyUpdate is a connection error 0x010a.
    if (this.mode === 'quic') throw alert('unexpected_message', 'KeyUpdate is not allowed in QUIC');
    const requestUpdate = decodeKeyUpdate(msg.body);
    const suite = this.suite!;
    this.applicationReadSecret = nextTrafficSecret(suite.hash, this.applicationReadSecret!);
    this.installKey('application', 'read', this.applicationReadSecret);
    if (requestUpdate) {
      // §4.6.3: answer with update_not_requested, then switch our write keys.
      this.send('application', encodeKeyUpdate(false));
      this.applicationWriteSecret = nextTrafficSecret(suite.hash, this.applicationWriteSecret!);
      this.installKey('application', 'write', this.applicationWriteSecret);
    }
  }

  protected isKeyUpdate(msg: RawHandshakeMessage): boolean {
    return msg.type === HandshakeType.key_update;
  }
}

function loadIdentity(opts: TlsCommonOptions): LocalIdentity | undefined {
  if (opts.certificateChain === undefined && opts.privateKey === undefined) return undefined;
  if (opts.certificateChain === undefined || opts.privateKey === undefined) {
    throw new TlsConfigError('certificateChain and privateKey must be given together');
  }
  const chain = typeof opts.certificateChain === 'string' ? loadCertificateChain(opts.certificateChain) : opts.certificateChain;
  if (chain.length === 0) throw new TlsConfigError('certificateChain is empty');
  const key = typeof opts.privateKey === 'string' ? loadPrivateKey(opts.privateKey) : opts.privateKey;
  return { chain, key };
}
