// The TLS 1.3 server handshake state machine (RFC 8446 §2, §4; QUIC rules from RFC 9001 §4, §8).
//
//   WAIT_CH --ClientHello--> (HRR) WAIT_CH2 --ClientHello2--> ...
//   ... sends ServerHello, EncryptedExtensions, [CertificateRequest, Certificate, CertificateVerify,] Finished
//   --> WAIT_CLIENT_CERT (mutual TLS) --> WAIT_CLIENT_CV --> WAIT_FINISHED | WAIT_FINISHED
//   WAIT_FINISHED --Finished--> CONNECTED (sends NewSessionTickets when a keyring is configured)
import { digest } from '../crypto/hkdf.js';
import { QUIC_PROTOCOL_VIOLATION, alert } from './alerts.js';
import { cipherSuiteById, type CipherSuiteInfo } from './cipher-suites.js';
import { verifyCertificateChain } from './certificates.js';
import {
  ExtensionType as X,
  HELLO_RETRY_REQUEST_RANDOM,
  HandshakeType as HT,
  MAX_TICKET_LIFETIME_SECONDS,
  PskMode,
  QUIC_MAX_EARLY_DATA,
  TLS13,
} from './constants.js';
import { TlsConfigError, TlsEngine } from './engine.js';
import { unpooledCopy } from '../crypto/keys.js';
import {
  decodeAlpn,
  decodeCookie,
  decodeKeyShareClient,
  decodePreSharedKeyClient,
  decodePskModes,
  decodeServerName,
  decodeSupportedVersionsClient,
  decodeU16ListExtension,
  encodeAlpn,
  encodeCookie,
  encodeEarlyDataTicket,
  encodeKeyShareRetry,
  encodeKeyShareServer,
  encodePreSharedKeyServer,
  encodeSupportedVersionServer,
  encodeU16ListExtension,
  expectEmpty,
  type KeyShareEntry,
} from './extensions.js';
import type { RawHandshakeMessage } from './framer.js';
import { createKeyShare } from './key-exchange.js';
import { KeySchedule, finishedVerifyData, macEqual, resumptionPsk } from './key-schedule.js';
import {
  decodeCertificate,
  decodeClientHello,
  encodeCertificate,
  encodeCertificateRequest,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeFinished,
  encodeNewSessionTicket,
  encodeServerHello,
  type ClientHello,
  type ExtensionList,
} from './messages.js';
import { decodeTicketState, encodeTicketState, type TicketState } from './session-ticket.js';
import {
  CERTIFICATE_SIGNATURE_SCHEMES,
  certificateVerifyContent,
  selectSignatureScheme,
  signWithScheme,
} from './signatures.js';
import type { EarlyDataStatus, EncryptionLevel, TlsServerOptions } from './types.js';

type ServerState = 'wait_ch' | 'wait_ch2' | 'wait_client_cert' | 'wait_client_cv' | 'wait_finished' | 'connected';

/** Defaults of the server's named limits and policies. */
export const TLS_SERVER_DEFAULTS = {
  sessionTickets: 1,
  /** Two hours: what TicketKeyring guarantees with its default rotation (tickets.ts). */
  ticketLifetimeSeconds: 7200,
  ticketAgeToleranceMs: 10_000,
  maxPskIdentities: 4,
  /** Bytes of the HelloRetryRequest cookie (§4.2.2). */
  cookieLength: 16,
} as const;

/** ticket_nonce is one byte here, so at most 256 distinct nonces per connection. */
const MAX_TICKETS_PER_CONNECTION = 256;

interface SelectedPsk {
  index: number;
  state: TicketState;
  identity: Buffer;
  obfuscatedTicketAge: number;
}

export class TlsServer extends TlsEngine {
  private readonly opts: TlsServerOptions;
  protected state: ServerState = 'wait_ch';
  private retry: { suite: CipherSuiteInfo; group: number; cookie: Buffer; sessionId: Buffer } | undefined;
  private serverName: string | undefined;
  private negotiatedAlpn: string | undefined;
  private psk: SelectedPsk | undefined;
  private earlyData: EarlyDataStatus = 'none';
  private clientHandshakeSecret: Buffer | undefined;
  private clientApplicationSecret: Buffer | undefined;
  private requestedSchemes: readonly number[] = [];
  private ticketNonce = 0;

  constructor(opts: TlsServerOptions) {
    super(opts);
    this.opts = opts;
    if (!this.identity) throw new TlsConfigError('a server needs certificateChain and privateKey');
    if (this.mode === 'quic' && this.alpnProtocols.length === 0) {
      throw new TlsConfigError("'quic' mode needs at least one ALPN protocol (RFC 9001 §8.1)");
    }
    const tickets = opts.sessionTickets ?? TLS_SERVER_DEFAULTS.sessionTickets;
    // The one-byte ticket_nonce counter must stay unique within the connection (§4.6.1).
    if (!Number.isInteger(tickets) || tickets < 0 || tickets > MAX_TICKETS_PER_CONNECTION) {
      throw new TlsConfigError(`sessionTickets must be 0..${MAX_TICKETS_PER_CONNECTION}`);
    }
    const lifetime = opts.ticketLifetimeSeconds ?? TLS_SERVER_DEFAULTS.ticketLifetimeSeconds;
    if (!Number.isInteger(lifetime) || lifetime < 1 || lifetime > MAX_TICKET_LIFETIME_SECONDS) {
      throw new TlsConfigError(`ticketLifetimeSeconds must be 1..${MAX_TICKET_LIFETIME_SECONDS}`);
    }
  }

  protected handleMessage(_level: EncryptionLevel, msg: RawHandshakeMessage): void {
    switch (this.state) {
      case 'wait_ch':
      case 'wait_ch2':
        return this.expect(msg, HT.client_hello, () => this.onClientHello(msg));
      case 'wait_client_cert':
        return this.expect(msg, HT.certificate, () => this.onClientCertificate(msg));
      case 'wait_client_cv':
        return this.expect(msg, HT.certificate_verify, () => this.onClientCertificateVerify(msg));
      case 'wait_finished':
        // RFC 9001 §8.3: QUIC has no EndOfEarlyData; in 'tls' mode we never accept 0-RTT, so it never comes either.
        return this.expect(msg, HT.finished, () => this.onClientFinished(msg));
      case 'connected':
        if (this.isKeyUpdate(msg)) return this.handleKeyUpdate(msg);
        throw alert('unexpected_message', `unexpected post-handshake message type ${msg.type}`);
    }
  }

  private onClientHello(msg: RawHandshakeMessage): void {
    const ch = decodeClientHello(msg.body);
    const exts = ch.extensions;
    const second = this.state === 'wait_ch2';

    // §4.2.1: without supported_versions (or without 0x0304 in it) this is not a TLS 1.3 client.
    const sv = exts.get(X.supported_versions);
    if (sv === undefined || !decodeSupportedVersionsClient(sv).includes(TLS13)) {
      throw alert('protocol_version', 'client does not offer TLS 1.3');
    }
    // RFC 9001 §8.4: QUIC clients MUST NOT use middlebox compatibility mode (PROTOCOL_VIOLATION).
    if (this.mode === 'quic' && ch.legacySessionId.length !== 0) {
      throw alert('illegal_parameter', 'non-empty legacy_session_id in QUIC (RFC 9001 §8.4)', QUIC_PROTOCOL_VIOLATION);
    }
    if (second && !ch.legacySessionId.equals(this.retry!.sessionId)) {
      throw alert('illegal_parameter', 'second ClientHello changed legacy_session_id');
    }

    const suite = this.selectSuite(ch);
    if (!second) this.transcript.setHash(suite.hash);

    // Groups (§4.2.7, §4.2.8). We only do (EC)DHE modes, so key_share and supported_groups are required (§9.2).
    const sgData = exts.get(X.supported_groups);
    const ksData = exts.get(X.key_share);
    if (sgData === undefined || ksData === undefined) throw alert('missing_extension', 'ClientHello lacks supported_groups or key_share');
    // A Set keeps the membership checks linear in the size of a hostile ClientHello.
    const clientGroups = new Set(decodeU16ListExtension(sgData, 'supported_groups'));
    const shares = decodeKeyShareClient(ksData);
    for (const s of shares) {
      if (!clientGroups.has(s.group)) throw alert('illegal_parameter', `key_share for group ${s.group} not in supported_groups`);
    }
    let share: KeyShareEntry | undefined;
    if (second) {
      // §4.1.2: the second ClientHello carries exactly the one share the HRR asked for, no early_data, and the cookie.
      if (shares.length !== 1 || shares[0]!.group !== this.retry!.group) throw alert('illegal_parameter', 'second ClientHello key_share does not match the HelloRetryRequest');
      if (exts.has(X.early_data)) throw alert('illegal_parameter', 'early_data in the second ClientHello');
      const cookie = exts.get(X.cookie);
      if (cookie === undefined || !decodeCookie(cookie).equals(this.retry!.cookie)) throw alert('illegal_parameter', 'second ClientHello did not echo the cookie');
      share = shares[0];
    } else {
      // Our preference among the shares the client sent; else ask for our preferred common group (HRR).
      for (const g of this.groups) {
        share = shares.find((s) => s.group === g);
        if (share) break;
      }
      if (!share) {
        const group = this.groups.find((g) => clientGroups.has(g));
        if (group === undefined) throw alert('handshake_failure', 'no key exchange group in common');
        return this.sendHelloRetryRequest(ch, msg, suite, group);
      }
    }

    // ALPN (RFC 7301 §3.2; RFC 9001 §8.1 makes it mandatory in QUIC).
    const alpnData = exts.get(X.application_layer_protocol_negotiation);
    if (alpnData !== undefined && this.alpnProtocols.length > 0) {
      const offered = decodeAlpn(alpnData);
      this.negotiatedAlpn = this.alpnProtocols.find((p) => offered.includes(p));
      if (this.negotiatedAlpn === undefined) throw alert('no_application_protocol', `no common ALPN protocol (client offered ${offered.join(', ')})`);
    } else if (this.mode === 'quic') {
      throw alert('no_application_protocol', 'client offered no ALPN protocol');
    }
    const sniData = exts.get(X.server_name);
    this.serverName = sniData !== undefined ? decodeServerName(sniData) : undefined;
    let peerTransportParameters: Buffer | undefined;
    if (this.mode === 'quic') {
      const tp = exts.get(X.quic_transport_parameters);
      if (tp === undefined) throw alert('missing_extension', 'client sent no quic_transport_parameters (RFC 9001 §8.2)');
      peerTransportParameters = unpooledCopy(tp);
    }

    this.psk = this.selectPsk(ch, msg, suite);
    if (!this.psk && !exts.has(X.signature_algorithms)) {
      throw alert('missing_extension', 'ClientHello without signature_algorithms and no PSK (§9.2)');
    }
    // §4.4.3: a CertificateVerify scheme the client offered that our key can make; chosen before
    // anything is sent so a mismatch fails cleanly.
    let scheme: number | undefined;
    if (!this.psk) {
      scheme = selectSignatureScheme(this.identity!.key, decodeU16ListExtension(exts.get(X.signature_algorithms)!, 'signature_algorithms'));
      if (scheme === undefined) throw alert('handshake_failure', 'no signature scheme in common with the client');
    }
    const offeredEarly = exts.get(X.early_data);
    if (offeredEarly !== undefined) {
      expectEmpty(offeredEarly, 'early_data');
      this.earlyData = this.acceptEarlyData(suite) ? 'accepted' : 'rejected';
    }

    this.suite = suite;
    this.clientRandom = unpooledCopy(ch.random);
    this.transcript.add(msg.raw);
    const schedule = (this.schedule = new KeySchedule(suite.hash, this.psk?.state.psk));
    if (peerTransportParameters) this.emit({ type: 'peer-transport-parameters', data: peerTransportParameters });
    if (this.earlyData === 'accepted') {
      this.installKey('early', 'read', schedule.clientEarlyTrafficSecret(this.transcript.current()), 'CLIENT_EARLY_TRAFFIC_SECRET');
    }

    const ourShare = createKeyShare(share!.group, this.random);
    schedule.inputSharedSecret(ourShare.computeSecret(share!.keyExchange));
    const shExts: Array<readonly [number, Uint8Array]> = [[X.key_share, encodeKeyShareServer({ group: ourShare.group, keyExchange: ourShare.publicKey })]];
    if (this.psk) shExts.push([X.pre_shared_key, encodePreSharedKeyServer(this.psk.index)]);
    shExts.push([X.supported_versions, encodeSupportedVersionServer(TLS13)]);
    const sh = encodeServerHello({ random: this.random(32), legacySessionIdEcho: ch.legacySessionId, cipherSuite: suite.id, extensions: shExts });
    this.transcript.add(sh);
    this.send('initial', sh);

    const th = this.transcript.current();
    const serverHs = schedule.serverHandshakeTrafficSecret(th);
    this.clientHandshakeSecret = schedule.clientHandshakeTrafficSecret(th);
    this.installKey('handshake', 'write', serverHs, 'SERVER_HANDSHAKE_TRAFFIC_SECRET');
    this.installKey('handshake', 'read', this.clientHandshakeSecret, 'CLIENT_HANDSHAKE_TRAFFIC_SECRET');
    this.setReadLevel('handshake');

    const flight: Buffer[] = [];
    const add = (m: Buffer): void => {
      this.transcript.add(m);
      flight.push(m);
    };
    add(encodeEncryptedExtensions(this.encryptedExtensions(!!sniData)));
    if (scheme !== undefined) {
      const id = this.identity!;
      if (this.opts.requestClientCertificate) {
        this.requestedSchemes = CERTIFICATE_SIGNATURE_SCHEMES;
        add(encodeCertificateRequest(Buffer.alloc(0), [[X.signature_algorithms, encodeU16ListExtension(this.requestedSchemes)]]));
      }
      add(encodeCertificate(Buffer.alloc(0), id.chain));
      add(encodeCertificateVerify(scheme, signWithScheme(id.key, scheme, certificateVerifyContent('server', this.transcript.current()))));
    } else if (this.psk) {
      this.peerCertificates = this.psk.state.clientCertificates;
    }
    add(encodeFinished(finishedVerifyData(suite.hash, serverHs, this.transcript.current())));
    this.send('handshake', Buffer.concat(flight));

    const thFin = this.transcript.current();
    // Kept for the connection's lifetime (KeyUpdate, exporter): copied out of the Buffer pool (crypto/keys.ts unpooledCopy).
    this.applicationWriteSecret = unpooledCopy(schedule.serverApplicationTrafficSecret(thFin));
    this.clientApplicationSecret = unpooledCopy(schedule.clientApplicationTrafficSecret(thFin));
    this.exporterMasterSecret = unpooledCopy(schedule.exporterMasterSecret(thFin));
    this.logSecret('EXPORTER_SECRET', this.exporterMasterSecret);
    // RFC 9001 §4.1.4 / §5.7: the server may send 0.5-RTT data now; it reads 1-RTT only after the client Finished.
    this.installKey('application', 'write', this.applicationWriteSecret, 'SERVER_TRAFFIC_SECRET_0');
    this.state = !this.psk && this.opts.requestClientCertificate ? 'wait_client_cert' : 'wait_finished';
  }

  private selectSuite(ch: ClientHello): CipherSuiteInfo {
    if (this.retry) {
      // §4.1.4: the suite chosen in the HRR stays; the client must still offer it.
      if (!ch.cipherSuites.includes(this.retry.suite.id)) throw alert('illegal_parameter', 'second ClientHello dropped the negotiated cipher suite');
      return this.retry.suite;
    }
    const suite = this.suites.find((s) => ch.cipherSuites.includes(s.id));
    if (!suite) throw alert('handshake_failure', 'no cipher suite in common');
    return suite;
  }

  private sendHelloRetryRequest(ch: ClientHello, msg: RawHandshakeMessage, suite: CipherSuiteInfo, group: number): void {
    const cookie = this.random(TLS_SERVER_DEFAULTS.cookieLength);
    this.retry = { suite, group, cookie, sessionId: Buffer.from(ch.legacySessionId) };
    // §4.4.1: ClientHello1 enters the transcript as message_hash.
    this.transcript.add(msg.raw);
    this.transcript.replaceWithMessageHash(suite.hash);
    const hrr = encodeServerHello({
      random: HELLO_RETRY_REQUEST_RANDOM,
      legacySessionIdEcho: ch.legacySessionId,
      cipherSuite: suite.id,
      extensions: [
        [X.supported_versions, encodeSupportedVersionServer(TLS13)],
        [X.key_share, encodeKeyShareRetry(group)],
        [X.cookie, encodeCookie(cookie)],
      ],
    });
    this.transcript.add(hrr);
    this.send('initial', hrr);
    // §4.2.10: an HRR rejects 0-RTT.
    if (ch.extensions.has(X.early_data)) this.earlyData = 'rejected';
    this.state = 'wait_ch2';
  }

  /**
   * §4.2.11: the first offered identity we can open, whose suite hash and server name match and which
   * has not expired. Its binder is then verified; a wrong binder aborts (decrypt_error).
   */
  private selectPsk(ch: ClientHello, msg: RawHandshakeMessage, suite: CipherSuiteInfo): SelectedPsk | undefined {
    const data = ch.extensions.get(X.pre_shared_key);
    if (data === undefined) return undefined;
    const modesData = ch.extensions.get(X.psk_key_exchange_modes);
    // §4.2.9: pre_shared_key without psk_key_exchange_modes is missing_extension.
    if (modesData === undefined) throw alert('missing_extension', 'pre_shared_key without psk_key_exchange_modes');
    const offered = decodePreSharedKeyClient(data);
    const keyring = this.opts.ticketKeyring;
    if (!keyring || !decodePskModes(modesData).includes(PskMode.psk_dhe_ke)) return undefined;
    const now = this.now();
    const limit = Math.min(offered.identities.length, this.opts.maxPskIdentities ?? TLS_SERVER_DEFAULTS.maxPskIdentities);
    for (let index = 0; index < limit; index++) {
      const { identity, obfuscatedTicketAge } = offered.identities[index]!;
      const opened = keyring.open(identity);
      const state = opened ? decodeTicketState(opened) : undefined;
      if (!state) continue;
      // §4.2.11: a PSK is only usable with a suite of the same hash.
      if (cipherSuiteById(state.cipherSuite)?.hash !== suite.hash) continue;
      // Resumption is bound to the name of the original connection (RFC 8446 §4.6.1, RFC 6066 §3).
      if (state.serverName !== (this.serverName ?? '')) continue;
      if (now - state.createdAt >= state.lifetimeSeconds * 1000 || now < state.createdAt) continue;
      // A resumed session keeps the original authentication (§2.2): when client certificates are required,
      // a session that had none (issued by a listener sharing the keyring, or before the policy changed)
      // cannot be resumed; the full handshake then asks for a certificate.
      if (this.opts.requireClientCertificate && this.opts.requestClientCertificate && state.clientCertificates.length === 0) continue;
      // §4.2.11.2: binder over Transcript-Hash(prior messages || Truncate(ClientHello)).
      const truncated = msg.raw.subarray(0, msg.raw.length - offered.bindersLength);
      const binderKey = new KeySchedule(suite.hash, state.psk).binderKey();
      const expected = finishedVerifyData(suite.hash, binderKey, this.transcript.current(truncated));
      if (!macEqual(expected, offered.binders[index]!)) throw alert('decrypt_error', 'PSK binder does not verify');
      return { index, state, identity: Buffer.from(identity), obfuscatedTicketAge };
    }
    return undefined;
  }

  /** §4.2.10 and RFC 9001 §4.6.1: every condition for 0-RTT, the anti-replay check last. */
  private acceptEarlyData(suite: CipherSuiteInfo): boolean {
    const psk = this.psk;
    const guard = this.opts.replayGuard;
    if (!this.opts.enableEarlyData || this.mode !== 'quic' || !guard || !psk || psk.index !== 0 || this.retry) return false;
    const s = psk.state;
    if (s.maxEarlyData === 0 || s.cipherSuite !== suite.id || s.alpn !== (this.negotiatedAlpn ?? '')) return false;
    if (!s.earlyDataContext.equals(Buffer.from(this.opts.earlyDataContext ?? new Uint8Array(0)))) return false;
    // §8.3 freshness: the client's view of the ticket age must match ours within the tolerance.
    const clientAge = (psk.obfuscatedTicketAge - s.ageAdd) >>> 0;
    const serverAge = this.now() - s.createdAt;
    const tolerance = this.opts.ticketAgeToleranceMs ?? TLS_SERVER_DEFAULTS.ticketAgeToleranceMs;
    if (Math.abs(serverAge - clientAge) > tolerance) return false;
    // §8.1 single-use tickets for 0-RTT: the register remembers each ticket it accepted early data for.
    return guard.firstUse(digest('sha256', psk.identity), this.now());
  }

  private encryptedExtensions(clientSentSni: boolean): ExtensionList {
    const exts: Array<readonly [number, Uint8Array]> = [];
    // RFC 6066 §3: an empty server_name acknowledges that SNI was used (not on resumption).
    if (clientSentSni && !this.psk) exts.push([X.server_name, Buffer.alloc(0)]);
    if (this.negotiatedAlpn !== undefined) exts.push([X.application_layer_protocol_negotiation, encodeAlpn([this.negotiatedAlpn])]);
    if (this.mode === 'quic') exts.push([X.quic_transport_parameters, this.transportParameters!]);
    if (this.earlyData === 'accepted') exts.push([X.early_data, Buffer.alloc(0)]);
    return exts;
  }

  private onClientCertificate(msg: RawHandshakeMessage): void {
    const cert = decodeCertificate(msg.body);
    // §4.4.2: the context echoes the CertificateRequest's (empty).
    if (cert.context.length !== 0) throw alert('illegal_parameter', 'client Certificate context does not match the request');
    this.transcript.add(msg.raw);
    if (cert.certificates.length === 0) {
      // §4.4.2.4: the server may continue without client authentication or abort with certificate_required.
      if (this.opts.requireClientCertificate) throw alert('certificate_required', 'the client sent no certificate');
      this.state = 'wait_finished';
      return;
    }
    verifyCertificateChain(cert.certificates, { trust: this.trustStore, purpose: 'client', now: new Date(this.now()) });
    this.peerCertificates = cert.certificates.map((c) => unpooledCopy(c));
    this.state = 'wait_client_cv';
  }

  private onClientCertificateVerify(msg: RawHandshakeMessage): void {
    this.verifyPeerCertificateVerify(msg, 'client', this.requestedSchemes);
    this.state = 'wait_finished';
  }

  private onClientFinished(msg: RawHandshakeMessage): void {
    const suite = this.suite!;
    this.verifyPeerFinished(msg, 'client', this.clientHandshakeSecret!);
    // The client's handshake secret has no further use (RFC 9001 §4.9.2: handshake keys are discarded once
    // the handshake is confirmed); dropping it also frees the pooled Buffer block it is a view into.
    this.clientHandshakeSecret = undefined;
    this.setReadLevel('application');
    this.applicationReadSecret = this.clientApplicationSecret;
    this.installKey('application', 'read', this.clientApplicationSecret!, 'CLIENT_TRAFFIC_SECRET_0');
    const resumptionMaster = this.schedule!.resumptionMasterSecret(this.transcript.current());
    this.state = 'connected';
    this.markComplete();
    this.emit({
      type: 'handshake-complete',
      alpn: this.negotiatedAlpn,
      serverName: this.serverName,
      cipherSuite: suite.name,
      resumed: !!this.psk,
      earlyData: this.earlyData,
      peerCertificates: this.peerCertificates,
    });
    this.sendTickets(resumptionMaster);
  }

  /** §4.6.1: tickets carry the sealed resumption state; RFC 9001 §4.6.1 fixes max_early_data_size in QUIC. */
  private sendTickets(resumptionMaster: Buffer): void {
    const keyring = this.opts.ticketKeyring;
    if (!keyring) return;
    const suite = this.suite!;
    const count = this.opts.sessionTickets ?? TLS_SERVER_DEFAULTS.sessionTickets;
    const lifetimeSeconds = this.opts.ticketLifetimeSeconds ?? TLS_SERVER_DEFAULTS.ticketLifetimeSeconds;
    const earlyData = this.mode === 'quic' && !!this.opts.enableEarlyData;
    const out: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const nonce = Buffer.of(this.ticketNonce++ & 0xff);
      const ageAdd = this.random(4).readUInt32BE(0);
      const state: TicketState = {
        cipherSuite: suite.id,
        createdAt: this.now(),
        lifetimeSeconds,
        ageAdd,
        maxEarlyData: earlyData ? QUIC_MAX_EARLY_DATA : 0,
        psk: resumptionPsk(suite.hash, resumptionMaster, nonce),
        alpn: this.negotiatedAlpn ?? '',
        serverName: this.serverName ?? '',
        earlyDataContext: Buffer.from(this.opts.earlyDataContext ?? new Uint8Array(0)),
        clientCertificates: this.peerCertificates,
      };
      out.push(
        encodeNewSessionTicket({
          lifetimeSeconds,
          ageAdd,
          nonce,
          ticket: keyring.seal(encodeTicketState(state)),
          extensions: earlyData ? [[X.early_data, encodeEarlyDataTicket(QUIC_MAX_EARLY_DATA)]] : [],
        }),
      );
    }
    if (out.length > 0) this.send('application', Buffer.concat(out));
  }
}
