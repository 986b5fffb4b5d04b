// The TLS 1.3 client handshake state machine (RFC 8446 §2, §4; QUIC rules from RFC 9001 §4, §8).
//
//   START --ClientHello--> WAIT_SH --(HRR: ClientHello2)--> WAIT_SH
//   WAIT_SH --ServerHello--> WAIT_EE --EE--> WAIT_CERT_CR (full) | WAIT_FINISHED (PSK)
//   WAIT_CERT_CR --CertificateRequest--> WAIT_CERT --Certificate--> WAIT_CV --CertificateVerify--> WAIT_FINISHED
//   WAIT_FINISHED --Finished--> CONNECTED (sends [Certificate, CertificateVerify,] Finished)
//   CONNECTED: NewSessionTicket -> 'session-ticket'; KeyUpdate ('tls' mode)
import { isIP } from 'node:net';
import { hashLength } from '../crypto/hkdf.js';
import { QUIC_PROTOCOL_VIOLATION, alert } from './alerts.js';
import type { CipherSuiteInfo } from './cipher-suites.js';
import { verifyCertificateChain } from './certificates.js';
import {
  DOWNGRADE_TLS11,
  DOWNGRADE_TLS12,
  ExtensionType as X,
  HandshakeType as HT,
  MAX_TICKET_LIFETIME_SECONDS,
  PskMode,
  QUIC_MAX_EARLY_DATA,
  TLS13,
} from './constants.js';
import { TlsEngine, TlsConfigError } from './engine.js';
import {
  bindersVectorLength,
  decodeAlpn,
  decodeCookie,
  decodeEarlyDataTicket,
  decodeKeyShareRetry,
  decodeKeyShareServer,
  decodePreSharedKeyServer,
  decodeSupportedVersionServer,
  decodeU16ListExtension,
  encodeAlpn,
  encodeCookie,
  encodeKeyShareClient,
  encodePreSharedKeyClient,
  encodePskModes,
  encodeServerName,
  encodeSupportedVersionsClient,
  encodeU16ListExtension,
  expectEmpty,
  type Extensions,
} from './extensions.js';
import type { RawHandshakeMessage } from './framer.js';
import { createKeyShare, isSupportedGroup, type KeyShare } from './key-exchange.js';
import { KeySchedule, finishedVerifyData, resumptionPsk } from './key-schedule.js';
import {
  decodeCertificate,
  decodeCertificateRequest,
  decodeEncryptedExtensions,
  decodeNewSessionTicket,
  decodeServerHello,
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  encodeFinished,
  type ExtensionList,
  type ServerHello,
} from './messages.js';
import { readSessionTicket, type ClientTicket } from './session-ticket.js';
import {
  CERTIFICATE_SIGNATURE_SCHEMES,
  certificateVerifyContent,
  selectSignatureScheme,
  signWithScheme,
} from './signatures.js';
import type { EarlyDataStatus, EncryptionLevel, SessionTicket, TlsClientOptions } from './types.js';

/** Defaults of the client's named limits. */
export const TLS_CLIENT_DEFAULTS = {
  /** Tickets taken from one connection; more are ignored so a server cannot flood the ticket store. */
  maxSessionTickets: 8,
} as const;

type ClientState = 'start' | 'wait_sh' | 'wait_ee' | 'wait_cert_cr' | 'wait_cert' | 'wait_cv' | 'wait_finished' | 'connected';

export class TlsClient extends TlsEngine {
  private readonly opts: TlsClientOptions;
  protected state: ClientState = 'start';
  private readonly sniName: string | undefined;
  private legacySessionId: Buffer = Buffer.alloc(0);
  private keyShares: KeyShare[] = [];
  private cookie: Buffer | undefined;
  private retried = false;
  private retrySuite: CipherSuiteInfo | undefined;
  private offeredPsk: ClientTicket | undefined;
  private offeredEarlyData = false;
  private pskAccepted = false;
  private earlyData: EarlyDataStatus = 'none';
  private clientHandshakeSecret: Buffer | undefined;
  private serverHandshakeSecret: Buffer | undefined;
  private resumptionMasterSecret: Buffer | undefined;
  private certificateRequest: { context: Buffer; schemes: number[] } | undefined;
  private negotiatedAlpn: string | undefined;
  private peerTransportParameters: Buffer | undefined;
  private ticketsReceived = 0;

  constructor(opts: TlsClientOptions) {
    super(opts);
    this.opts = opts;
    // A QUIC client without ALPN is allowed to start; the handshake then ends with
    // no_application_protocol (RFC 9001 §8.1), which is what the peer would answer anyway.
    // RFC 6066 §3: literal IP addresses are not permitted in server_name.
    this.sniName = opts.serverName && !isIpLiteral(opts.serverName) ? opts.serverName : undefined;
    if (!opts.insecure && !opts.serverName) throw new TlsConfigError('serverName is needed to verify the server (or set insecure)');
  }

  /** Builds and emits the ClientHello at the 'initial' level (and 0-RTT write keys when offering early data). */
  start(): void {
    if (this.state !== 'start') throw new TlsConfigError('start() called twice');
    this.state = 'wait_sh';
    this.guard(() => {
      this.clientRandom = this.random(32);
      // RFC 9001 §8.4: no middlebox compatibility mode in QUIC (empty session id); TLS over TCP uses it
      // (RFC 8446 §D.4) since OpenSSL and middleboxes expect it.
      this.legacySessionId = this.mode === 'tls' ? this.random(32) : Buffer.alloc(0);
      this.offeredPsk = this.usableTicket();
      this.offeredEarlyData =
        !!this.offeredPsk && !!this.opts.enableEarlyData && this.mode === 'quic' && this.offeredPsk.maxEarlyData > 0;
      this.keyShares = [createKeyShare(this.groups[0]!, this.random)];
      const ch = this.buildClientHello();
      this.transcript.add(ch);
      this.send('initial', ch);
      if (this.offeredEarlyData) {
        // RFC 8446 §7.1: client_early_traffic_secret = Derive-Secret(ES, "c e traffic", ClientHello).
        const psk = this.offeredPsk!;
        const schedule = new KeySchedule(psk.suite.hash, psk.psk);
        const secret = schedule.clientEarlyTrafficSecret(this.transcript.peek(psk.suite.hash, Buffer.alloc(0)));
        // 0-RTT keys use the ticket's suite (§4.2.10); the handshake suite is not known yet.
        this.installKey('early', 'write', secret, 'CLIENT_EARLY_TRAFFIC_SECRET', psk.suite);
        this.earlyData = 'rejected'; // until EncryptedExtensions says otherwise
      }
    });
  }

  /** The offered session ticket if it fits this connection (suite, name, lifetime), else undefined. */
  private usableTicket(): ClientTicket | undefined {
    if (!this.opts.session) return undefined;
    const t = readSessionTicket(this.opts.session);
    if (!t) return undefined;
    if (!this.suites.some((s) => s.id === t.suite.id)) return undefined;
    if (t.serverName !== this.opts.serverName) return undefined;
    const age = this.now() - t.receivedAt;
    // §4.6.1: "Clients MUST NOT cache tickets for longer than 7 days, regardless of the ticket_lifetime";
    // a stored ticket is untrusted input, so its lifetime is capped here too.
    const lifetimeSeconds = Math.min(t.lifetimeSeconds, MAX_TICKET_LIFETIME_SECONDS);
    if (age < 0 || age >= lifetimeSeconds * 1000) return undefined;
    // RFC 8446 §4.2.10: 0-RTT uses the ticket's ALPN; offering early data needs that protocol offered.
    if (this.opts.enableEarlyData && t.alpn !== undefined && !this.alpnProtocols.includes(t.alpn)) t.maxEarlyData = 0;
    return t;
  }

  private buildClientHello(): Buffer {
    const exts: Array<readonly [number, Uint8Array]> = [];
    if (this.sniName) exts.push([X.server_name, encodeServerName(this.sniName)]);
    exts.push([X.supported_groups, encodeU16ListExtension(this.groups)]);
    // Our CertificateVerify schemes plus rsa_pkcs1_* for signatures inside certificates (§4.2.3).
    exts.push([X.signature_algorithms, encodeU16ListExtension(CERTIFICATE_SIGNATURE_SCHEMES)]);
    if (this.alpnProtocols.length > 0) exts.push([X.application_layer_protocol_negotiation, encodeAlpn(this.alpnProtocols)]);
    exts.push([X.supported_versions, encodeSupportedVersionsClient([TLS13])]);
    exts.push([X.key_share, encodeKeyShareClient(this.keyShares.map((k) => ({ group: k.group, keyExchange: k.publicKey })))]);
    // §4.2.9: psk_dhe_ke only; sending the extension also tells the server we take tickets (§4.6.1).
    exts.push([X.psk_key_exchange_modes, encodePskModes([PskMode.psk_dhe_ke])]);
    if (this.mode === 'quic') exts.push([X.quic_transport_parameters, this.transportParameters!]);
    if (this.cookie) exts.push([X.cookie, encodeCookie(this.cookie)]);
    // §4.2.10: early_data only in the first ClientHello.
    if (this.offeredEarlyData && !this.retried) exts.push([X.early_data, Buffer.alloc(0)]);
    const fields = {
      random: this.clientRandom,
      legacySessionId: this.legacySessionId,
      cipherSuites: this.suites.map((s) => s.id),
      extensions: exts as ExtensionList,
    };
    const psk = this.offeredPsk;
    if (!psk) return encodeClientHello(fields);

    // §4.2.11: pre_shared_key goes last; its binder covers the ClientHello up to the binders (§4.2.11.2).
    const hashLen = hashLength(psk.suite.hash);
    // §4.2.11.1: obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32.
    const age = Math.max(0, this.now() - psk.receivedAt);
    const identity = { identity: psk.identity, obfuscatedTicketAge: (age + psk.ageAdd) >>> 0 };
    exts.push([X.pre_shared_key, encodePreSharedKeyClient([identity], [Buffer.alloc(hashLen)])]);
    const ch = encodeClientHello(fields);
    const truncated = ch.subarray(0, ch.length - bindersVectorLength([hashLen]));
    const binderKey = new KeySchedule(psk.suite.hash, psk.psk).binderKey();
    const binder = finishedVerifyData(psk.suite.hash, binderKey, this.transcript.peek(psk.suite.hash, truncated));
    binder.copy(ch, ch.length - hashLen);
    return ch;
  }

  protected handleMessage(_level: EncryptionLevel, msg: RawHandshakeMessage): void {
    switch (this.state) {
      case 'wait_sh':
        return this.expect(msg, HT.server_hello, () => this.onServerHello(msg));
      case 'wait_ee':
        return this.expect(msg, HT.encrypted_extensions, () => this.onEncryptedExtensions(msg));
      case 'wait_cert_cr':
        if (msg.type === HT.certificate_request) return this.onCertificateRequest(msg);
        return this.expect(msg, HT.certificate, () => this.onCertificate(msg));
      case 'wait_cert':
        return this.expect(msg, HT.certificate, () => this.onCertificate(msg));
      case 'wait_cv':
        return this.expect(msg, HT.certificate_verify, () => this.onCertificateVerify(msg));
      case 'wait_finished':
        return this.expect(msg, HT.finished, () => this.onFinished(msg));
      case 'connected':
        if (msg.type === HT.new_session_ticket) return this.onNewSessionTicket(msg);
        if (this.isKeyUpdate(msg)) return this.handleKeyUpdate(msg);
        throw alert('unexpected_message', `unexpected post-handshake message type ${msg.type}`);
      default:
        throw alert('unexpected_message', `handshake message type ${msg.type} before the ClientHello was sent`);
    }
  }

  private offeredSuite(id: number): CipherSuiteInfo {
    const s = this.suites.find((x) => x.id === id);
    if (!s) throw alert('illegal_parameter', `server selected cipher suite 0x${id.toString(16)} that was not offered`);
    return s;
  }

  private onServerHello(msg: RawHandshakeMessage): void {
    const sh = decodeServerHello(msg.body);
    const sv = sh.extensions.get(X.supported_versions);
    if (sv === undefined) {
      // §4.1.3: a TLS 1.3 client that sees a ≤1.2 ServerHello MUST check the downgrade sentinel.
      const tail = sh.random.subarray(24);
      if (tail.equals(DOWNGRADE_TLS12) || tail.equals(DOWNGRADE_TLS11)) {
        throw alert('illegal_parameter', 'ServerHello carries the TLS downgrade sentinel');
      }
      throw alert('protocol_version', `server negotiated legacy version 0x${sh.legacyVersion.toString(16)}; only TLS 1.3 is supported`);
    }
    // §4.2.1: a version we did not offer is illegal_parameter.
    if (decodeSupportedVersionServer(sv) !== TLS13) throw alert('illegal_parameter', 'server selected a version other than TLS 1.3');
    if (sh.legacyVersion !== 0x0303) throw alert('illegal_parameter', 'ServerHello legacy_version is not 0x0303');
    // §4.1.3: legacy_session_id_echo must echo ours.
    if (!sh.legacySessionIdEcho.equals(this.legacySessionId)) throw alert('illegal_parameter', 'legacy_session_id_echo mismatch');
    const suite = this.offeredSuite(sh.cipherSuite);
    if (sh.isRetry) return this.onHelloRetryRequest(sh, suite, msg);
    // §4.1.4: the ServerHello after an HRR must keep the HRR's cipher suite.
    if (this.retrySuite && this.retrySuite !== suite) throw alert('illegal_parameter', 'ServerHello cipher suite differs from HelloRetryRequest');

    // §4.1.3: any SH extension we did not offer (cookie/early_data belong elsewhere) is rejected by the parser.
    const ksData = sh.extensions.get(X.key_share);
    if (ksData === undefined) throw alert('missing_extension', 'ServerHello has no key_share (psk_ke is not offered)');
    const ks = decodeKeyShareServer(ksData);
    const share = this.keyShares.find((k) => k.group === ks.group);
    if (!share) throw alert('illegal_parameter', `server key_share for group ${ks.group} we did not offer`);
    const shared = share.computeSecret(ks.keyExchange);

    let psk: Buffer | undefined;
    const pskData = sh.extensions.get(X.pre_shared_key);
    if (pskData !== undefined) {
      if (!this.offeredPsk) throw alert('unsupported_extension', 'pre_shared_key in ServerHello without an offer');
      if (decodePreSharedKeyServer(pskData) !== 0) throw alert('illegal_parameter', 'server selected a PSK identity we did not offer');
      // §4.2.11: the selected suite must use the PSK's hash.
      if (this.offeredPsk.suite.hash !== suite.hash) throw alert('illegal_parameter', 'cipher suite hash differs from the PSK hash');
      psk = this.offeredPsk.psk;
      this.pskAccepted = true;
    }

    this.suite = suite;
    this.transcript.setHash(suite.hash);
    this.transcript.add(msg.raw);
    this.schedule = new KeySchedule(suite.hash, psk);
    this.schedule.inputSharedSecret(shared);
    const th = this.transcript.current();
    this.clientHandshakeSecret = this.schedule.clientHandshakeTrafficSecret(th);
    this.serverHandshakeSecret = this.schedule.serverHandshakeTrafficSecret(th);
    this.setReadLevel('handshake');
    this.installKey('handshake', 'read', this.serverHandshakeSecret, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    this.installKey('handshake', 'write', this.clientHandshakeSecret, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    this.state = 'wait_ee';
  }

  private onHelloRetryRequest(hrr: ServerHello, suite: CipherSuiteInfo, msg: RawHandshakeMessage): void {
    // §4.1.4: a second HelloRetryRequest is unexpected_message.
    if (this.retried) throw alert('unexpected_message', 'second HelloRetryRequest');
    this.retried = true;
    this.retrySuite = suite;
    let changed = false;
    const ksData = hrr.extensions.get(X.key_share);
    if (ksData !== undefined) {
      const group = decodeKeyShareRetry(ksData);
      // §4.2.8: the group must be one we support and not one we already sent a share for.
      if (!this.groups.includes(group) || !isSupportedGroup(group)) throw alert('illegal_parameter', `HelloRetryRequest asks for group ${group} we did not offer`);
      if (this.keyShares.some((k) => k.group === group)) throw alert('illegal_parameter', 'HelloRetryRequest asks for a group we already sent');
      this.keyShares = [createKeyShare(group, this.random)];
      changed = true;
    }
    const cookieData = hrr.extensions.get(X.cookie);
    if (cookieData !== undefined) {
      this.cookie = Buffer.from(decodeCookie(cookieData));
      changed = true;
    }
    // §4.1.4: an HRR that would not change the ClientHello is illegal_parameter.
    if (!changed) throw alert('illegal_parameter', 'HelloRetryRequest does not change the ClientHello');
    // §4.1.4: the transcript restarts with message_hash(ClientHello1) under the HRR suite's hash.
    this.transcript.replaceWithMessageHash(suite.hash);
    this.transcript.add(msg.raw);
    // A PSK whose hash does not fit the selected suite cannot be used any more (§4.1.4, §4.2.11).
    if (this.offeredPsk && this.offeredPsk.suite.hash !== suite.hash) this.offeredPsk = undefined;
    // 0-RTT is rejected by an HRR (§4.2.10); QUIC discards what it sent.
    if (this.offeredEarlyData) this.earlyData = 'rejected';
    const ch2 = this.buildClientHello();
    this.transcript.add(ch2);
    this.send('initial', ch2);
  }

  private onEncryptedExtensions(msg: RawHandshakeMessage): void {
    const exts = decodeEncryptedExtensions(msg.body);
    this.checkSolicited(exts);
    const alpnData = exts.get(X.application_layer_protocol_negotiation);
    if (alpnData !== undefined) {
      const list = decodeAlpn(alpnData);
      // RFC 7301 §3.1: exactly one protocol, one we offered.
      if (list.length !== 1 || !this.alpnProtocols.includes(list[0]!)) throw alert('illegal_parameter', 'server selected an ALPN protocol we did not offer');
      this.negotiatedAlpn = list[0];
    } else if (this.mode === 'quic') {
      // RFC 9001 §8.1: no negotiated application protocol is fatal in QUIC.
      throw alert('no_application_protocol', 'server did not select an ALPN protocol');
    }
    if (this.mode === 'quic') {
      const tp = exts.get(X.quic_transport_parameters);
      if (tp === undefined) throw alert('missing_extension', 'server sent no quic_transport_parameters (RFC 9001 §8.2)');
      this.peerTransportParameters = Buffer.from(tp);
      this.emit({ type: 'peer-transport-parameters', data: this.peerTransportParameters });
    }
    const early = exts.get(X.early_data);
    if (early !== undefined) {
      expectEmpty(early, 'early_data');
      // §4.2.10: acceptance requires the first PSK to have been selected and the ticket's ALPN.
      if (!this.pskAccepted) throw alert('illegal_parameter', 'early_data accepted without the PSK');
      if (this.offeredPsk?.alpn !== this.negotiatedAlpn) throw alert('illegal_parameter', 'early_data accepted with another ALPN than the ticket');
      // §4.2.10: 0-RTT keys came from the ticket's suite; accepted early data under another suite was unreadable.
      if (this.offeredPsk?.suite.id !== this.suite?.id) throw alert('illegal_parameter', 'early_data accepted with another cipher suite than the ticket');
      this.earlyData = 'accepted';
    }
    const sni = exts.get(X.server_name);
    if (sni !== undefined) expectEmpty(sni, 'server_name');
    this.transcript.add(msg.raw);
    this.state = this.pskAccepted ? 'wait_finished' : 'wait_cert_cr';
  }

  /** §4.2: extensions in EncryptedExtensions must answer what we offered. */
  private checkSolicited(exts: Extensions): void {
    for (const type of exts.keys()) {
      const offered =
        type === X.supported_groups || // informational, always allowed (§4.2.7)
        (type === X.server_name && this.sniName !== undefined) ||
        (type === X.application_layer_protocol_negotiation && this.alpnProtocols.length > 0) ||
        (type === X.quic_transport_parameters && this.mode === 'quic') ||
        (type === X.early_data && this.offeredEarlyData && !this.retried);
      if (!offered) throw alert('unsupported_extension', `EncryptedExtensions carries extension ${type} that was not offered`);
    }
  }

  private onCertificateRequest(msg: RawHandshakeMessage): void {
    const cr = decodeCertificateRequest(msg.body);
    // §4.3.2: the context is empty during the handshake.
    if (cr.context.length !== 0) throw alert('illegal_parameter', 'CertificateRequest context must be empty in the handshake');
    const sa = cr.extensions.get(X.signature_algorithms);
    if (sa === undefined) throw alert('missing_extension', 'CertificateRequest without signature_algorithms');
    this.certificateRequest = { context: cr.context, schemes: decodeU16ListExtension(sa, 'signature_algorithms') };
    this.transcript.add(msg.raw);
    this.state = 'wait_cert';
  }

  private onCertificate(msg: RawHandshakeMessage): void {
    const cert = decodeCertificate(msg.body);
    if (cert.context.length !== 0) throw alert('illegal_parameter', 'server Certificate context must be empty');
    // §4.4.2.4: an empty server Certificate is decode_error.
    if (cert.certificates.length === 0) throw alert('decode_error', 'server sent an empty Certificate');
    if (!this.opts.insecure) {
      verifyCertificateChain(cert.certificates, {
        trust: this.trustStore,
        serverName: this.opts.serverName,
        purpose: 'server',
        now: new Date(this.now()),
      });
    }
    this.peerCertificates = cert.certificates.map((c) => Buffer.from(c));
    this.transcript.add(msg.raw);
    this.state = 'wait_cv';
  }

  private onCertificateVerify(msg: RawHandshakeMessage): void {
    // §4.4.3: our signature_algorithms offered CERTIFICATE_SIGNATURE_SCHEMES.
    this.verifyPeerCertificateVerify(msg, 'server', CERTIFICATE_SIGNATURE_SCHEMES);
    this.state = 'wait_finished';
  }

  private onFinished(msg: RawHandshakeMessage): void {
    const suite = this.suite!;
    const schedule = this.schedule!;
    this.verifyPeerFinished(msg, 'server', this.serverHandshakeSecret!);
    const th = this.transcript.current();
    const clientAppSecret = schedule.clientApplicationTrafficSecret(th);
    const serverAppSecret = schedule.serverApplicationTrafficSecret(th);
    this.exporterMasterSecret = schedule.exporterMasterSecret(th);
    this.logSecret('EXPORTER_SECRET', this.exporterMasterSecret);
    this.setReadLevel('application');
    this.applicationReadSecret = serverAppSecret;
    this.installKey('application', 'read', serverAppSecret, 'SERVER_TRAFFIC_SECRET_0');

    const flight: Buffer[] = [];
    if (this.certificateRequest) flight.push(...this.clientAuthentication(this.certificateRequest));
    const fin = encodeFinished(finishedVerifyData(suite.hash, this.clientHandshakeSecret!, this.transcript.current()));
    this.transcript.add(fin);
    flight.push(fin);
    this.send('handshake', Buffer.concat(flight));
    this.applicationWriteSecret = clientAppSecret;
    this.installKey('application', 'write', clientAppSecret, 'CLIENT_TRAFFIC_SECRET_0');
    this.resumptionMasterSecret = schedule.resumptionMasterSecret(this.transcript.current());
    this.state = 'connected';
    this.markComplete();
    this.emit({
      type: 'handshake-complete',
      alpn: this.negotiatedAlpn,
      serverName: this.opts.serverName,
      cipherSuite: suite.name,
      resumed: this.pskAccepted,
      earlyData: this.earlyData,
      peerCertificates: this.peerCertificates,
    });
  }

  /** §4.4.2: our Certificate (empty when we have none the server can accept, §4.4.2.3) and CertificateVerify. */
  private clientAuthentication(cr: { context: Buffer; schemes: number[] }): Buffer[] {
    const id = this.identity;
    const scheme = id ? selectSignatureScheme(id.key, cr.schemes) : undefined;
    if (!id || scheme === undefined) {
      const empty = encodeCertificate(cr.context, []);
      this.transcript.add(empty);
      return [empty];
    }
    const cert = encodeCertificate(cr.context, id.chain);
    this.transcript.add(cert);
    const signature = signWithScheme(id.key, scheme, certificateVerifyContent('client', this.transcript.current()));
    const cv = encodeCertificateVerify(scheme, signature);
    this.transcript.add(cv);
    return [cert, cv];
  }

  private onNewSessionTicket(msg: RawHandshakeMessage): void {
    const nst = decodeNewSessionTicket(msg.body);
    // §4.6.1: lifetimes above seven days are illegal.
    if (nst.lifetimeSeconds > MAX_TICKET_LIFETIME_SECONDS) throw alert('illegal_parameter', 'ticket_lifetime exceeds seven days');
    let maxEarlyData = 0;
    const early = nst.extensions.get(X.early_data);
    if (early !== undefined) {
      maxEarlyData = decodeEarlyDataTicket(early);
      // RFC 9001 §4.6.1: any other value than 0xffffffff is a PROTOCOL_VIOLATION.
      if (this.mode === 'quic' && maxEarlyData !== QUIC_MAX_EARLY_DATA) {
        throw alert('illegal_parameter', 'NewSessionTicket max_early_data_size must be 0xffffffff in QUIC', QUIC_PROTOCOL_VIOLATION);
      }
    }
    // §4.6.1: a zero lifetime means "discard immediately".
    if (nst.lifetimeSeconds === 0) return;
    if (++this.ticketsReceived > (this.opts.maxSessionTickets ?? TLS_CLIENT_DEFAULTS.maxSessionTickets)) return;
    const suite = this.suite!;
    const psk = resumptionPsk(suite.hash, this.resumptionMasterSecret!, nst.nonce);
    const ticket: SessionTicket = {
      version: 1,
      cipherSuite: suite.name,
      ticket: nst.ticket.toString('base64'),
      psk: psk.toString('base64'),
      ageAdd: nst.ageAdd,
      lifetimeSeconds: nst.lifetimeSeconds,
      receivedAt: this.now(),
      maxEarlyData,
    };
    if (this.opts.serverName !== undefined) ticket.serverName = this.opts.serverName;
    if (this.negotiatedAlpn !== undefined) ticket.alpn = this.negotiatedAlpn;
    if (this.peerTransportParameters) ticket.transportParameters = this.peerTransportParameters.toString('base64');
    this.emit({ type: 'session-ticket', ticket });
    this.opts.onSessionTicket?.(ticket);
  }
}

/** IPv4/IPv6 literal (optionally bracketed)? Cheap pre-check first: isIP is costly per handshake. */
function isIpLiteral(name: string): boolean {
  if (!/^[\d.]+$/.test(name) && !name.includes(':')) return false;
  return isIP(name.replace(/^\[|\]$/g, '')) !== 0;
}
