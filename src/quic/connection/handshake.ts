// Glue between the connection and the sans-IO TLS 1.3 engine (RFC 9001 §4): CRYPTO bytes go in per
// encryption level, and the engine's events come out translated for QUIC: handshake bytes to send per
// packet number space, traffic secrets with the QUIC cipher suite (RFC 9001 §5.1), the peer's
// transport parameters, completion, tickets, and fatal errors as CRYPTO_ERROR codes (RFC 9001 §4.8).
import { cipherSuiteById, type CipherSuite } from '../crypto/keys.js';
import type { EncryptionLevel as CryptoLevel } from '../crypto/packet-protection.js';
import { TlsClient } from '../tls/client.js';
import { TlsServer } from '../tls/server.js';
import type { EncryptionLevel, EarlyDataStatus, SessionTicket, TlsClientOptions, TlsServerOptions } from '../tls/types.js';
import { Alert } from '../tls/alerts.js';
import { cryptoErrorCode, TransportErrorCode } from '../wire/errors.js';

/** What the connection does with each engine event. */
export interface HandshakeSink {
  send(level: EncryptionLevel, data: Uint8Array): void;
  keys(level: EncryptionLevel, direction: 'read' | 'write', suite: CipherSuite, secret: Uint8Array): void;
  peerTransportParameters(data: Uint8Array): void;
  complete(info: { alpn: string; serverName?: string; resumed: boolean; earlyData: EarlyDataStatus }): void;
  sessionTicket(ticket: SessionTicket): void;
  /** Fatal: close with `code` (0x0100 + TLS alert). */
  error(code: number, message: string): void;
}

/** The packet protection level of a TLS encryption level (RFC 9001 §4.1.4). */
export function cryptoLevelOf(level: EncryptionLevel): CryptoLevel {
  return level === 'early' ? 'early_data' : level;
}

export class TlsHandshake {
  private readonly engine: TlsClient | TlsServer;

  private constructor(engine: TlsClient | TlsServer) {
    this.engine = engine;
  }

  static client(options: TlsClientOptions): TlsHandshake {
    const engine = new TlsClient({ ...options, mode: 'quic' });
    engine.start();
    return new TlsHandshake(engine);
  }

  static server(options: TlsServerOptions): TlsHandshake {
    return new TlsHandshake(new TlsServer({ ...options, mode: 'quic' }));
  }

  get complete(): boolean {
    return this.engine.handshakeComplete;
  }

  /** CRYPTO stream bytes of `level`, in order (RFC 9001 §4.1.3). Never throws for peer input. */
  receive(level: EncryptionLevel, data: Uint8Array): void {
    this.engine.receive(level, data);
  }

  /** Delivers every pending engine event to `sink`, in order. Bounded by the events queued. */
  drain(sink: HandshakeSink): void {
    for (let ev = this.engine.poll(); ev !== undefined; ev = this.engine.poll()) {
      switch (ev.type) {
        case 'send':
          sink.send(ev.level, ev.data);
          break;
        case 'keys': {
          const suite = cipherSuiteById(ev.suite.id);
          if (suite === undefined) {
            sink.error(TransportErrorCode.INTERNAL_ERROR, `TLS negotiated ${ev.suite.name}, which QUIC packet protection lacks`);
            return;
          }
          sink.keys(ev.level, ev.direction, suite, ev.secret);
          break;
        }
        case 'peer-transport-parameters':
          sink.peerTransportParameters(ev.data);
          break;
        case 'handshake-complete': {
          // RFC 9001 §8.1: ALPN is mandatory; the engine enforces it in 'quic' mode, this is a backstop.
          if (ev.alpn === undefined) {
            sink.error(cryptoErrorCode(Alert.no_application_protocol), 'no application protocol negotiated');
            return;
          }
          const info: { alpn: string; serverName?: string; resumed: boolean; earlyData: EarlyDataStatus } = {
            alpn: ev.alpn,
            resumed: ev.resumed,
            earlyData: ev.earlyData,
          };
          if (ev.serverName !== undefined) info.serverName = ev.serverName;
          sink.complete(info);
          break;
        }
        case 'session-ticket':
          sink.sessionTicket(ev.ticket);
          break;
        case 'error':
          sink.error(ev.quicErrorCode, ev.message);
          return;
      }
    }
  }
}

