// TLS 1.3 signature schemes (RFC 8446 §4.2.3) for CertificateVerify (§4.4.3), on node:crypto.
import {
  X509Certificate,
  constants as cryptoConstants,
  sign as cryptoSign,
  verify as cryptoVerify,
  type KeyObject,
} from 'node:crypto';

/** SignatureScheme code points (RFC 8446 §4.2.3). */
export const SignatureScheme = {
  // Only for signatures in certificates (signature_algorithms_cert), never for CertificateVerify.
  rsa_pkcs1_sha256: 0x0401,
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  ed25519: 0x0807,
} as const;

/** Schemes this engine can sign and verify CertificateVerify with, in preference order (for signature_algorithms). */
export const CERTIFICATE_VERIFY_SCHEMES: readonly number[] = [
  SignatureScheme.ecdsa_secp256r1_sha256,
  SignatureScheme.rsa_pss_rsae_sha256,
  SignatureScheme.ed25519,
  SignatureScheme.ecdsa_secp384r1_sha384,
  SignatureScheme.rsa_pss_rsae_sha384,
  SignatureScheme.rsa_pss_rsae_sha512,
];

/**
 * Schemes acceptable in certificate signatures (for signature_algorithms_cert, RFC 8446 §4.2.3): the
 * CertificateVerify schemes plus RSASSA-PKCS1-v1_5, which "refer solely to signatures which appear in
 * certificates".
 */
export const CERTIFICATE_SIGNATURE_SCHEMES: readonly number[] = [
  ...CERTIFICATE_VERIFY_SCHEMES,
  SignatureScheme.rsa_pkcs1_sha256,
  SignatureScheme.rsa_pkcs1_sha384,
  SignatureScheme.rsa_pkcs1_sha512,
];

/** Thrown by signWithScheme when the key cannot sign with the scheme (a local configuration error). */
export class SignatureSchemeError extends Error {
  readonly code = 'ERR_TLS_SIGNATURE_SCHEME';
  constructor(message: string) {
    super(message);
    this.name = 'SignatureSchemeError';
  }
}

type SchemeSpec =
  | { readonly kind: 'ecdsa'; readonly hash: string; readonly curve: string }
  | { readonly kind: 'rsa-pss'; readonly hash: string; readonly hashLength: number }
  | { readonly kind: 'eddsa'; readonly keyType: 'ed25519' };

// RFC 8446 §4.2.3: in TLS 1.3 the ECDSA curve is bound to the scheme; RSASSA-PSS uses MGF1 with the
// same hash and a salt as long as the digest; rsae means an rsaEncryption public key.
const SPECS: ReadonlyMap<number, SchemeSpec> = new Map<number, SchemeSpec>([
  [SignatureScheme.ecdsa_secp256r1_sha256, { kind: 'ecdsa', hash: 'sha256', curve: 'prime256v1' }],
  [SignatureScheme.ecdsa_secp384r1_sha384, { kind: 'ecdsa', hash: 'sha384', curve: 'secp384r1' }],
  [SignatureScheme.rsa_pss_rsae_sha256, { kind: 'rsa-pss', hash: 'sha256', hashLength: 32 }],
  [SignatureScheme.rsa_pss_rsae_sha384, { kind: 'rsa-pss', hash: 'sha384', hashLength: 48 }],
  [SignatureScheme.rsa_pss_rsae_sha512, { kind: 'rsa-pss', hash: 'sha512', hashLength: 64 }],
  [SignatureScheme.ed25519, { kind: 'eddsa', keyType: 'ed25519' }],
]);

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(SignatureScheme).map(([name, code]) => [code, name]));

/** "ecdsa_secp256r1_sha256", or "0x1234" for an unknown code point (for messages and logs). */
export function signatureSchemeName(scheme: number): string {
  return NAMES.get(scheme) ?? `0x${scheme.toString(16).padStart(4, '0')}`;
}

/** May this scheme sign a CertificateVerify (RFC 8446 §4.2.3; rsa_pkcs1_* may not)? */
export function isCertificateVerifyScheme(scheme: number): boolean {
  return SPECS.has(scheme);
}

// RFC 8017 §9.1.1: EMSA-PSS needs emLen >= hLen + sLen + 2 with emLen = ceil((modBits - 1) / 8).
function rsaKeyFits(key: KeyObject, hashLength: number): boolean {
  const bits = key.asymmetricKeyDetails?.modulusLength;
  if (bits === undefined) return false;
  return Math.ceil((bits - 1) / 8) >= 2 * hashLength + 2;
}

function keyFits(key: KeyObject, spec: SchemeSpec): boolean {
  switch (spec.kind) {
    case 'ecdsa':
      return key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === spec.curve;
    case 'rsa-pss':
      return key.asymmetricKeyType === 'rsa' && rsaKeyFits(key, spec.hashLength);
    case 'eddsa':
      return key.asymmetricKeyType === spec.keyType;
  }
}

/**
 * The CertificateVerify schemes a key (private or public) can sign with, in preference order:
 * P-256 -> ecdsa_secp256r1_sha256, P-384 -> ecdsa_secp384r1_sha384, RSA -> rsa_pss_rsae_sha256/384/512
 * (those the modulus is large enough for), Ed25519 -> ed25519; [] for anything else.
 */
export function signatureSchemesForKey(key: KeyObject): number[] {
  const preference = [
    SignatureScheme.ecdsa_secp256r1_sha256,
    SignatureScheme.ecdsa_secp384r1_sha384,
    SignatureScheme.rsa_pss_rsae_sha256,
    SignatureScheme.rsa_pss_rsae_sha384,
    SignatureScheme.rsa_pss_rsae_sha512,
    SignatureScheme.ed25519,
  ];
  return preference.filter((scheme) => keyFits(key, SPECS.get(scheme)!));
}

/**
 * The scheme to sign with: our first one the peer listed in signature_algorithms (RFC 8446 §4.4.3:
 * the algorithm MUST be one offered by the peer), or undefined when there is none.
 */
export function selectSignatureScheme(key: KeyObject, peerSchemes: readonly number[]): number | undefined {
  return signatureSchemesForKey(key).find((scheme) => peerSchemes.includes(scheme));
}

/** Signs `data` with `scheme`. Throws SignatureSchemeError when the key does not fit the scheme. */
export function signWithScheme(key: KeyObject, scheme: number, data: Uint8Array): Buffer {
  const spec = SPECS.get(scheme);
  if (spec === undefined) {
    throw new SignatureSchemeError(`${signatureSchemeName(scheme)} cannot sign a CertificateVerify`);
  }
  if (key.type !== 'private' || !keyFits(key, spec)) {
    throw new SignatureSchemeError(`a ${describeKey(key)} cannot sign with ${signatureSchemeName(scheme)}`);
  }
  switch (spec.kind) {
    case 'ecdsa':
      // RFC 8446 §4.2.3: ECDSA signatures are DER-encoded ECDSA-Sig-Value structures.
      return cryptoSign(spec.hash, data, { key, dsaEncoding: 'der' });
    case 'rsa-pss':
      return cryptoSign(spec.hash, data, {
        key,
        padding: cryptoConstants.RSA_PKCS1_PSS_PADDING,
        saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST,
      });
    case 'eddsa':
      return cryptoSign(null, data, key); // RFC 8032 PureEdDSA: the message itself, no pre-hash
  }
}

/**
 * Verifies a CertificateVerify-style signature with a public key. False (never an exception) for a
 * scheme that does not fit the key, a scheme not allowed in CertificateVerify, or a bad signature.
 */
export function verifyWithPublicKey(key: KeyObject, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
  const spec = SPECS.get(scheme);
  if (spec === undefined || !keyFits(key, spec)) return false;
  try {
    switch (spec.kind) {
      case 'ecdsa':
        return cryptoVerify(spec.hash, data, { key, dsaEncoding: 'der' }, signature);
      case 'rsa-pss':
        // RFC 8446 §4.2.3: "The length of the Salt MUST be equal to the length of the output of the
        // digest algorithm" -- SALTLEN_DIGEST enforces that instead of auto-detecting the salt length.
        return cryptoVerify(
          spec.hash,
          data,
          { key, padding: cryptoConstants.RSA_PKCS1_PSS_PADDING, saltLength: cryptoConstants.RSA_PSS_SALTLEN_DIGEST },
          signature,
        );
      case 'eddsa':
        return cryptoVerify(null, data, key, signature);
    }
  } catch {
    return false; // garbage that OpenSSL refuses to even parse
  }
}

/** Verifies a signature with the public key of a DER certificate (see verifyWithPublicKey). */
export function verifyWithScheme(certDer: Uint8Array, scheme: number, data: Uint8Array, signature: Uint8Array): boolean {
  let key: KeyObject;
  try {
    key = new X509Certificate(Buffer.from(certDer.buffer, certDer.byteOffset, certDer.byteLength)).publicKey;
  } catch {
    return false;
  }
  return verifyWithPublicKey(key, scheme, data, signature);
}

const CONTEXT_SERVER = Buffer.from('TLS 1.3, server CertificateVerify', 'ascii');
const CONTEXT_CLIENT = Buffer.from('TLS 1.3, client CertificateVerify', 'ascii');
const PAD = Buffer.alloc(64, 0x20);

/**
 * RFC 8446 §4.4.3: the signed content is 64 spaces, the context string, a zero byte, then
 * Transcript-Hash(Handshake Context, Certificate).
 */
export function certificateVerifyContent(role: 'server' | 'client', transcriptHash: Uint8Array): Buffer {
  return Buffer.concat([PAD, role === 'server' ? CONTEXT_SERVER : CONTEXT_CLIENT, Buffer.of(0), transcriptHash]);
}

function describeKey(key: KeyObject): string {
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails;
  if (type === 'ec') return `EC ${details?.namedCurve ?? ''} key`.replace('  ', ' ');
  if (type === 'rsa') return `RSA ${details?.modulusLength ?? '?'}-bit key`;
  return `${type} ${key.type} key`;
}
