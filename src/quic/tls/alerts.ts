// TLS alerts (RFC 8446 §6) as typed errors, and their QUIC mapping (RFC 9001 §4.8).
// Every failure inside the handshake engine is a TlsAlert; the engine turns it into an 'error' event.

/** AlertDescription code points, RFC 8446 §6 (plus no_application_protocol, RFC 7301 §3.2). */
export const Alert = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;

export type AlertName = keyof typeof Alert;

const namesByCode = new Map<number, string>(Object.entries(Alert).map(([k, v]) => [v, k]));

/** Human-readable name of an alert code ("illegal_parameter"), or "alert_<n>" for unknown codes. */
export function alertName(alert: number): string {
  return namesByCode.get(alert) ?? `alert_${alert}`;
}

/** RFC 9001 §4.8: a TLS alert becomes the QUIC CRYPTO_ERROR 0x0100 + AlertDescription. */
export function quicErrorCodeForAlert(alert: number): number {
  return 0x0100 + alert;
}

/** A fatal TLS condition: the alert we send (or received) and why. */
export class TlsAlert extends Error {
  readonly alert: number;
  /** Stable string code, e.g. "ERR_TLS_ILLEGAL_PARAMETER". */
  readonly code: string;
  /**
   * QUIC error code when RFC 9001 names a transport error instead of CRYPTO_ERROR for the condition
   * (e.g. PROTOCOL_VIOLATION 0x0a, §8.4 and §4.6.1); otherwise 0x0100 + alert.
   */
  readonly quicErrorCode: number;
  constructor(alert: number, message: string, quicErrorCode?: number) {
    super(message);
    this.name = 'TlsAlert';
    this.alert = alert;
    this.code = `ERR_TLS_${alertName(alert).toUpperCase()}`;
    this.quicErrorCode = quicErrorCode ?? quicErrorCodeForAlert(alert);
  }
}

/** RFC 9000 §20.1 PROTOCOL_VIOLATION, which RFC 9001 prescribes for a few TLS-level violations. */
export const QUIC_PROTOCOL_VIOLATION = 0x0a;

/** Shorthand used by the codec and state machines: `throw alert('decode_error', 'why')`. */
export function alert(name: AlertName, message: string, quicErrorCode?: number): TlsAlert {
  return new TlsAlert(Alert[name], message, quicErrorCode);
}
