// subjectAltName entries (RFC 5280 §4.2.1.6) in the one form a certificate may carry them: dNSName in
// the "preferred name syntax" (RFC 1034 §3.5 as relaxed by RFC 1123 §2.1), internationalized names as
// A-labels (RFC 5280 §7.2), iPAddress as 4 or 16 network-order octets.
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';
import { ipAddressBytes } from '../../quic/tls/server-identity.js';
import { CertificateGenerationError } from './errors.js';

// RFC 1035 §2.3.4: at most 63 octets per label, 255 per name on the wire (253 as text without the dot).
const MAX_LABEL_LENGTH = 63;
const MAX_NAME_LENGTH = 253;
const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

function badName(message: string): CertificateGenerationError {
  return new CertificateGenerationError('CERT_INVALID_NAME', message);
}

/**
 * The lower-case A-label form of a host name for a dNSName entry, without a trailing dot. Throws
 * CERT_INVALID_NAME for anything else (underscores, empty labels, wildcards, IP literals).
 */
export function canonicalDnsName(name: string): string {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  // RFC 5280 §7.2: IDNs are stored as A-labels; domainToASCII returns '' when it cannot convert.
  // eslint-disable-next-line no-control-regex
  const ascii = (/[^\x00-\x7f]/.test(trimmed) ? domainToASCII(trimmed) : trimmed).toLowerCase();
  if (ascii === '' || ascii.length > MAX_NAME_LENGTH) throw badName(`not a usable DNS name: ${JSON.stringify(name)}`);
  if (isIP(ascii) !== 0) throw badName(`${JSON.stringify(name)} is an IP address; list it as an IP address, not a DNS name`);
  for (const label of ascii.split('.')) {
    if (label.length > MAX_LABEL_LENGTH || !LABEL.test(label)) {
      throw badName(`not a usable DNS name (RFC 1123 §2.1 letters, digits and inner hyphens per label): ${JSON.stringify(name)}`);
    }
  }
  return ascii;
}

/** The 4 (IPv4) or 16 (IPv6) octets of an IP literal for an iPAddress entry; zone ids are refused. */
export function ipAddressOctets(address: string): Buffer {
  // A zone id (RFC 6874) names a local interface; it is meaningless in a certificate.
  const bytes = address.includes('%') || isIP(address) === 0 ? undefined : ipAddressBytes(address);
  if (bytes === undefined) throw badName(`not an IP address: ${JSON.stringify(address)}`);
  return bytes;
}
