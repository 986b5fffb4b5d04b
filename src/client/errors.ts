// Typed client errors: every failure the client reports carries a stable code and a message a person can act on.
import { describeConnackCode, describeReasonCode } from './reason-codes.js';

export type MqttClientErrorCode =
  /** Options or URL are invalid (nothing was sent). */
  | 'ERR_INVALID_OPTION'
  /** No transport is registered for the URL scheme. */
  | 'ERR_UNKNOWN_SCHEME'
  /** A file named in the options (CA, certificate, key) cannot be read. */
  | 'ERR_FILE'
  /** The TCP connection was refused (nothing listens on the port). */
  | 'ERR_CONNECTION_REFUSED'
  /** The host name does not resolve. */
  | 'ERR_HOST_NOT_FOUND'
  /** The host or network is unreachable, or the connection attempt timed out at the transport. */
  | 'ERR_HOST_UNREACHABLE'
  /** The server certificate failed verification (unknown CA, wrong host name, expired...). */
  | 'ERR_TLS_VERIFICATION'
  /** Another TLS failure (handshake alert, protocol version mismatch, bad client key...). */
  | 'ERR_TLS'
  /** Any other transport failure (reset, WebSocket upgrade refused...). */
  | 'ERR_TRANSPORT'
  /** No CONNACK within connectTimeoutMs. */
  | 'ERR_CONNECT_TIMEOUT'
  /** The broker refused the connection in CONNACK; `reasonCode` holds the code. */
  | 'ERR_CONNACK_REFUSED'
  /** The connection closed (by the broker, the network or end()); pending operations fail with this. */
  | 'ERR_CONNECTION_CLOSED'
  /** The broker answered PUBLISH with a failure reason code (MQTT 5). */
  | 'ERR_PUBLISH_REFUSED'
  /** The broker refused one or more subscriptions in SUBACK. */
  | 'ERR_SUBSCRIBE_REFUSED'
  /** The broker refused one or more unsubscriptions in UNSUBACK (MQTT 5). */
  | 'ERR_UNSUBSCRIBE_REFUSED'
  /** The broker broke the protocol (reported by the MQTT engine). */
  | 'ERR_PROTOCOL';

export class MqttClientError extends Error {
  override readonly name = 'MqttClientError';
  readonly code: MqttClientErrorCode;
  /** MQTT reason code (MQTT 5) or CONNACK return code (MQTT 3.1.1) when the broker gave one. */
  readonly reasonCode: number | undefined;

  constructor(code: MqttClientErrorCode, message: string, options: { reasonCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.reasonCode = options.reasonCode;
  }
}

/** Node's errno-style error (net, dns, tls). */
interface SystemError extends Error {
  code?: string;
  hostname?: string;
  address?: string;
  port?: number;
}

// OpenSSL verification results Node reports as err.code (X509_V_ERR_* names without the prefix), plus
// Node's own host name check (tls.checkServerIdentity).
const TLS_VERIFY_EXPLANATIONS: Readonly<Record<string, string>> = {
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'the server certificate is not signed by a trusted CA',
  UNABLE_TO_GET_ISSUER_CERT: 'the issuer of the server certificate is not trusted',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'the issuer of the server certificate is not trusted',
  SELF_SIGNED_CERT_IN_CHAIN: 'the server certificate chain ends in an untrusted self-signed CA',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'the server certificate is self-signed',
  CERT_HAS_EXPIRED: 'the server certificate has expired',
  CERT_NOT_YET_VALID: 'the server certificate is not yet valid',
  CERT_REVOKED: 'the server certificate is revoked',
  CERT_SIGNATURE_FAILURE: 'the server certificate signature is invalid',
  CERT_UNTRUSTED: 'the server certificate is not trusted',
  INVALID_CA: 'a CA certificate in the chain is invalid',
  INVALID_PURPOSE: 'the server certificate is not valid for TLS server authentication',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the server certificate is not valid for this host name',
};

const VERIFICATION_HINT = 'use --cafile / tls.ca for a private CA, or --insecure / tls.insecure to skip verification';

// Alerts the broker sends that have a likely cause worth naming (RFC 8446 §6.2).
const TLS_ALERT_HINTS: ReadonlyArray<[RegExp, string]> = [
  [/alert certificate required/, 'the broker requires a client certificate (--cert and --key)'],
  [/alert handshake failure/, 'the broker aborted the handshake (a client certificate may be required, or no common cipher)'],
  [/alert protocol version/, 'the broker does not accept this TLS version'],
  [/alert unknown ca/, 'the broker does not trust the CA of the client certificate'],
  [/alert bad certificate|alert certificate unknown/, 'the broker rejected the client certificate'],
];

/** OpenSSL's "...:SSL routines:<function>:<reason>:<file>:<line>:..." reduced to its reason, plus a hint. */
function tlsReason(message: string): string {
  const reason = /SSL routines:[^:]*:([^:]+):/.exec(message)?.[1]?.trim() ?? message.trim();
  const hint = TLS_ALERT_HINTS.find(([pattern]) => pattern.test(reason))?.[1];
  return hint === undefined ? reason : `${hint} (${reason})`;
}

/**
 * Turns a transport failure (net, tls, dns, ws) into an MqttClientError. `target` is "host:port" for messages.
 */
export function transportError(err: unknown, target: string): MqttClientError {
  if (err instanceof MqttClientError) return err;
  const e = (err instanceof Error ? err : new Error(String(err))) as SystemError;
  const code = typeof e.code === 'string' ? e.code : '';
  const verify = TLS_VERIFY_EXPLANATIONS[code];
  if (verify !== undefined) {
    return new MqttClientError(
      'ERR_TLS_VERIFICATION',
      `TLS certificate verification failed for ${target}: ${verify} (${code}: ${e.message}); ${VERIFICATION_HINT}`,
      { cause: e },
    );
  }
  switch (code) {
    case 'ECONNREFUSED':
      return new MqttClientError('ERR_CONNECTION_REFUSED', `Connection refused by ${target}`, { cause: e });
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new MqttClientError('ERR_HOST_NOT_FOUND', `Host not found: ${e.hostname ?? target}`, { cause: e });
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
    case 'ETIMEDOUT':
      return new MqttClientError('ERR_HOST_UNREACHABLE', `Cannot reach ${target} (${code})`, { cause: e });
    case 'ECONNRESET':
    case 'EPIPE':
      return new MqttClientError('ERR_TRANSPORT', `Connection to ${target} was reset (${code})`, { cause: e });
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_') || /SSL|TLS/.test(e.message)) {
    return new MqttClientError('ERR_TLS', `TLS error with ${target}: ${tlsReason(e.message)}${code ? ` (${code})` : ''}`, {
      cause: e,
    });
  }
  return new MqttClientError('ERR_TRANSPORT', `Transport error with ${target}: ${e.message}${code ? ` (${code})` : ''}`, {
    cause: e,
  });
}

/** The broker refused CONNECT: "Connection refused by broker: not authorized (0x87)". */
export function connackRefused(code: number, protocolVersion: 3 | 4 | 5): MqttClientError {
  return new MqttClientError('ERR_CONNACK_REFUSED', `Connection refused by broker: ${describeConnackCode(code, protocolVersion)}`, {
    reasonCode: code,
  });
}

/** The connection is gone; `message` says how (broker DISCONNECT, transport loss, local end()). */
export function connectionClosed(message: string, reasonCode?: number): MqttClientError {
  return new MqttClientError('ERR_CONNECTION_CLOSED', message, reasonCode === undefined ? {} : { reasonCode });
}
