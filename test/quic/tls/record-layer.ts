// Test-only: a minimal TLS 1.3 record layer (RFC 8446 §5) that runs the sans-IO engine over a TCP
// socket, so the engine can be tested against OpenSSL (Node's tls). Record framing, AEAD protection
// with per-direction sequence numbers (§5.3), content type hiding and padding removal (§5.2),
// change_cipher_spec tolerance (§5, D.4) and alerts (§6).
import { createCipheriv, createDecipheriv, type CipherGCM, type DecipherGCM } from 'node:crypto';
import type { Socket } from 'node:net';
import { alertName } from '../../../src/quic/tls/alerts.js';
import type { CipherSuiteInfo } from '../../../src/quic/tls/cipher-suites.js';
import type { TlsClient } from '../../../src/quic/tls/client.js';
import { trafficKeys } from '../../../src/quic/tls/key-schedule.js';
import type { TlsServer } from '../../../src/quic/tls/server.js';
import type { EncryptionLevel, SessionTicket, TlsEvent } from '../../../src/quic/tls/types.js';

const ContentType = { change_cipher_spec: 20, alert: 21, handshake: 22, application_data: 23 } as const;
/** §5.1: TLSPlaintext.length <= 2^14; §5.2: TLSCiphertext.length <= 2^14 + 256. */
const MAX_PLAINTEXT = 16384;
const MAX_CIPHERTEXT = 16384 + 256;
const TAG_LENGTH = 16;

interface Protection {
  level: EncryptionLevel;
  suite: CipherSuiteInfo;
  key: Buffer;
  iv: Buffer;
  seq: bigint;
}

export type HandshakeInfo = Extract<TlsEvent, { type: 'handshake-complete' }>;

/** A fatal condition seen by the record layer: our engine's error or the peer's alert. */
export class RecordLayerError extends Error {
  constructor(
    readonly alert: number,
    message: string,
    readonly fromPeer: boolean,
  ) {
    super(message);
  }
}

export class TlsRecordConnection {
  readonly handshake: Promise<HandshakeInfo>;
  readonly tickets: SessionTicket[] = [];
  /** Levels of the handshake flights the engine sent, in order (to observe HelloRetryRequests). */
  readonly sentLevels: EncryptionLevel[] = [];
  /** change_cipher_spec records received and ignored (middlebox compatibility, RFC 8446 §D.4). */
  ignoredChangeCipherSpecs = 0;
  /** When set, application data goes here instead of the readApplicationData() buffer. */
  onApplicationData: ((data: Buffer) => void) | undefined;
  private resolveHandshake!: (info: HandshakeInfo) => void;
  private rejectHandshake!: (err: Error) => void;
  private read: Protection | undefined;
  private write: Protection | undefined;
  private inbound: Buffer = Buffer.alloc(0);
  private appData: Buffer[] = [];
  private appWaiters: Array<{ n: number; resolve: (b: Buffer) => void; reject: (e: Error) => void }> = [];
  private ticketWaiters: Array<() => void> = [];
  private closedWith: Error | undefined;
  private complete = false;

  constructor(
    private readonly socket: Socket,
    readonly engine: TlsClient | TlsServer,
  ) {
    this.handshake = new Promise((resolve, reject) => {
      this.resolveHandshake = resolve;
      this.rejectHandshake = reject;
    });
    this.handshake.catch(() => undefined); // observed by tests that await it
    socket.on('data', (d: Buffer) => this.onData(d));
    socket.on('error', (e) => this.terminate(e));
    socket.on('close', () => this.terminate(new Error('socket closed')));
  }

  /** Client: emits the ClientHello. */
  start(): void {
    (this.engine as TlsClient).start();
    this.drain();
  }

  writeApplicationData(data: Buffer): void {
    for (let off = 0; off < data.length; off += MAX_PLAINTEXT) {
      this.writeRecord(ContentType.application_data, data.subarray(off, off + MAX_PLAINTEXT));
    }
  }

  /** Resolves with exactly `n` bytes of application data (or rejects when the connection fails). */
  readApplicationData(n: number): Promise<Buffer> {
    return new Promise((resolve, reject) => {
      this.appWaiters.push({ n, resolve, reject });
      this.serveReaders();
    });
  }

  /** Resolves once at least `count` session tickets arrived. */
  async waitForTickets(count: number): Promise<void> {
    while (this.tickets.length < count) {
      if (this.closedWith) throw this.closedWith;
      await new Promise<void>((r) => this.ticketWaiters.push(r));
    }
  }

  close(): void {
    if (!this.socket.destroyed && this.write && this.complete) this.sendAlert(0); // close_notify
    this.socket.end();
    this.socket.destroy();
  }

  private onData(d: Buffer): void {
    this.inbound = this.inbound.length ? Buffer.concat([this.inbound, d]) : d;
    // Each iteration consumes one record, so the loop is bounded by the bytes received.
    while (this.inbound.length >= 5 && !this.closedWith) {
      const type = this.inbound[0]!;
      const length = this.inbound.readUInt16BE(3);
      if (length > MAX_CIPHERTEXT) return this.fatal(22, 'record_overflow');
      if (this.inbound.length < 5 + length) return;
      const header = this.inbound.subarray(0, 5);
      const fragment = this.inbound.subarray(5, 5 + length);
      this.inbound = this.inbound.subarray(5 + length);
      this.onRecord(type, header, fragment);
    }
  }

  private onRecord(type: number, header: Buffer, fragment: Buffer): void {
    // §5 / D.4: a change_cipher_spec of one byte 0x01 is ignored during the handshake.
    if (type === ContentType.change_cipher_spec) {
      if (fragment.length !== 1 || fragment[0] !== 1 || this.complete) return this.fatal(10, 'bad change_cipher_spec');
      this.ignoredChangeCipherSpecs++;
      return;
    }
    if (!this.read) {
      if (type === ContentType.alert) return this.peerAlert(fragment);
      if (type !== ContentType.handshake) return this.fatal(10, `plaintext record of type ${type}`);
      this.engine.receive('initial', fragment);
      return this.drain();
    }
    if (type !== ContentType.application_data) return this.fatal(10, `unprotected record of type ${type} after keys`);
    const plain = this.open(this.read, header, fragment);
    if (!plain) return this.fatal(20, 'bad_record_mac');
    // §5.4: strip zero padding; the last non-zero byte is the real content type.
    let end = plain.length - 1;
    while (end >= 0 && plain[end] === 0) end--;
    if (end < 0) return this.fatal(10, 'record with no content type');
    const inner = plain[end]!;
    const content = plain.subarray(0, end);
    if (inner === ContentType.handshake) {
      this.engine.receive(this.read.level, content);
      return this.drain();
    }
    if (inner === ContentType.alert) return this.peerAlert(content);
    if (inner === ContentType.application_data && this.read.level === 'application') {
      if (this.onApplicationData) return this.onApplicationData(Buffer.from(content));
      this.appData.push(Buffer.from(content));
      return this.serveReaders();
    }
    return this.fatal(10, `inner content type ${inner} at ${this.read.level}`);
  }

  /** Applies the engine's events: records to send, keys to install, completion, tickets, errors. */
  private drain(): void {
    for (let ev = this.engine.poll(); ev; ev = this.engine.poll()) {
      switch (ev.type) {
        case 'send':
          this.sentLevels.push(ev.level);
          if (ev.level === 'initial') this.writePlain(ContentType.handshake, ev.data);
          else this.writeRecord(ContentType.handshake, ev.data);
          break;
        case 'keys': {
          if (ev.level === 'early') break; // 0-RTT is not used in 'tls' mode
          const { key, iv } = trafficKeys(ev.suite.hash, ev.secret, ev.suite.keyLength);
          const p: Protection = { level: ev.level, suite: ev.suite, key, iv, seq: 0n };
          if (ev.direction === 'read') this.read = p;
          else this.write = p;
          break;
        }
        case 'handshake-complete':
          this.complete = true;
          this.resolveHandshake(ev);
          break;
        case 'session-ticket':
          this.tickets.push(ev.ticket);
          this.ticketWaiters.splice(0).forEach((w) => w());
          break;
        case 'error':
          this.sendAlert(ev.alert);
          this.terminate(new RecordLayerError(ev.alert, `local ${alertName(ev.alert)}: ${ev.message}`, false));
          this.socket.destroy();
          return;
        case 'peer-transport-parameters':
          break;
      }
    }
  }

  private writePlain(type: number, data: Buffer): void {
    for (let off = 0; off < data.length; off += MAX_PLAINTEXT) {
      const chunk = data.subarray(off, off + MAX_PLAINTEXT);
      const header = Buffer.of(type, 3, 3, 0, 0);
      header.writeUInt16BE(chunk.length, 3);
      this.socket.write(Buffer.concat([header, chunk]));
    }
  }

  private writeRecord(type: number, data: Buffer): void {
    const w = this.write;
    if (!w) return this.writePlain(type, data);
    for (let off = 0; off < data.length || off === 0; off += MAX_PLAINTEXT) {
      const inner = Buffer.concat([data.subarray(off, off + MAX_PLAINTEXT), Buffer.of(type)]);
      // §5.2: opaque_type 23, legacy_record_version 0x0303, length of the ciphertext.
      const header = Buffer.of(ContentType.application_data, 3, 3, 0, 0);
      header.writeUInt16BE(inner.length + TAG_LENGTH, 3);
      // GCM and ChaCha20-Poly1305 share the AEAD interface (setAAD/getAuthTag).
      const cipher = createCipheriv(w.suite.aead as string, w.key, nonce(w), { authTagLength: TAG_LENGTH } as object) as CipherGCM;
      cipher.setAAD(header);
      const body = Buffer.concat([cipher.update(inner), cipher.final(), cipher.getAuthTag()]);
      this.socket.write(Buffer.concat([header, body]));
      if (data.length === 0) break;
    }
  }

  private open(p: Protection, header: Buffer, fragment: Buffer): Buffer | undefined {
    if (fragment.length < TAG_LENGTH) return undefined;
    try {
      const d = createDecipheriv(p.suite.aead as string, p.key, nonce(p), { authTagLength: TAG_LENGTH } as object) as DecipherGCM;
      d.setAAD(header);
      d.setAuthTag(fragment.subarray(fragment.length - TAG_LENGTH));
      return Buffer.concat([d.update(fragment.subarray(0, fragment.length - TAG_LENGTH)), d.final()]);
    } catch {
      return undefined;
    }
  }

  private sendAlert(description: number): void {
    if (this.socket.destroyed) return;
    const body = Buffer.of(2, description);
    if (this.write) this.writeRecord(ContentType.alert, body);
    else this.writePlain(ContentType.alert, body);
  }

  private peerAlert(body: Buffer): void {
    const description = body.length === 2 ? body[1]! : 50;
    const err = new RecordLayerError(description, `peer sent ${alertName(description)}`, true);
    this.terminate(err);
    this.socket.destroy();
  }

  private fatal(alert: number, message: string): void {
    this.sendAlert(alert);
    this.terminate(new RecordLayerError(alert, `record layer: ${message}`, false));
    this.socket.destroy();
  }

  private terminate(err: Error): void {
    if (this.closedWith) return;
    this.closedWith = err;
    this.rejectHandshake(err);
    this.appWaiters.splice(0).forEach((w) => w.reject(err));
    this.ticketWaiters.splice(0).forEach((w) => w());
  }

  private serveReaders(): void {
    while (this.appWaiters.length > 0) {
      const total = this.appData.reduce((a, b) => a + b.length, 0);
      const w = this.appWaiters[0]!;
      if (total < w.n) return;
      const all = Buffer.concat(this.appData);
      this.appData = all.length > w.n ? [all.subarray(w.n)] : [];
      this.appWaiters.shift();
      w.resolve(all.subarray(0, w.n));
    }
  }
}

/** §5.3: the per-record nonce is the IV XORed with the 64-bit sequence number, left-padded. */
function nonce(p: Protection): Buffer {
  const n = Buffer.from(p.iv);
  const seq = p.seq++;
  for (let i = 0; i < 8; i++) n[n.length - 1 - i]! ^= Number((seq >> BigInt(8 * i)) & 0xffn);
  return n;
}
