// The one error type of self-signed certificate generation: DER encoding, certificate building and the
// files in node.data_dir/certs. The broker refuses to start on it, with the message naming the cause.

export type CertificateGenerationErrorCode =
  /** A value cannot be DER-encoded as asked (negative INTEGER, bad OID, character outside a string type...). */
  | 'CERT_INVALID_VALUE'
  /** A subjectAltName entry is not a usable DNS name or IP address (RFC 5280 §4.2.1.6). */
  | 'CERT_INVALID_NAME'
  /** The signing key is not one this builder signs with (ECDSA P-256). */
  | 'CERT_UNSUPPORTED_KEY'
  /** DER input (a SubjectPublicKeyInfo) is truncated or malformed. */
  | 'CERT_MALFORMED_DER'
  /** A certificate or key file cannot be read, written or renamed. */
  | 'CERT_FILE_IO'
  /** A configured file is one the broker would generate (and overwrite) in node.data_dir/certs. */
  | 'CERT_FILE_CONFLICT';

export class CertificateGenerationError extends Error {
  override readonly name = 'CertificateGenerationError';
  constructor(
    readonly code: CertificateGenerationErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
