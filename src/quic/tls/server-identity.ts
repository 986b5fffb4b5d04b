// Matching a server's certificate against the name the client asked for (RFC 9525, which obsoletes
// RFC 6125): DNS names only against subjectAltName dNSName entries, IP literals only against iPAddress
// entries, and never against the subject common name (RFC 9525 §1.2 drops CN-ID matching, which RFC 6125
// §6.4.4 still allowed as a fallback; browsers and Go since 1.15 do the same).
import { isIP } from 'node:net';
import { domainToASCII } from 'node:url';

export interface SubjectAltNames {
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly Uint8Array[];
}

/** The address bytes of an IPv4 or IPv6 literal (optionally in brackets, zone id ignored), else undefined. */
export function ipAddressBytes(text: string): Buffer | undefined {
  let s = text;
  if (s.startsWith('[') && s.endsWith(']')) s = s.slice(1, -1);
  const zone = s.indexOf('%');
  if (zone >= 0) s = s.slice(0, zone); // RFC 6874 zone ids are local; they are not part of the address
  const family = isIP(s);
  if (family === 4) return Buffer.from(s.split('.').map(Number));
  if (family === 6) return ipv6Bytes(s);
  return undefined;
}

// `text` has already been validated by net.isIP, so only the layout needs handling here.
function ipv6Bytes(text: string): Buffer {
  const out = Buffer.alloc(16);
  const groups = (part: string): number[] => {
    if (part === '') return [];
    const result: number[] = [];
    for (const g of part.split(':')) {
      if (g.includes('.')) {
        const [a, b, c, d] = g.split('.').map(Number) as [number, number, number, number];
        result.push((a << 8) | b, (c << 8) | d); // RFC 4291 §2.2 (3): embedded IPv4 in the low 32 bits
      } else {
        result.push(parseInt(g, 16));
      }
    }
    return result;
  };
  const gap = text.indexOf('::');
  const head = groups(gap >= 0 ? text.slice(0, gap) : text);
  const tail = gap >= 0 ? groups(text.slice(gap + 2)) : [];
  head.forEach((g, i) => out.writeUInt16BE(g, i * 2));
  tail.forEach((g, i) => out.writeUInt16BE(g, 16 - (tail.length - i) * 2));
  return out;
}

/** Lower-case A-label form without a trailing dot, or undefined when it is not a usable DNS name. */
function canonicalDnsName(name: string): string | undefined {
  let s = name.endsWith('.') ? name.slice(0, -1) : name;
  // RFC 9525 §6.3: internationalized names compare in their A-label form.
  // eslint-disable-next-line no-control-regex
  if (/[^\x00-\x7f]/.test(s)) s = domainToASCII(s);
  s = s.toLowerCase();
  if (s === '' || s.split('.').some((label) => label === '')) return undefined;
  return s;
}

/**
 * Does a presented dNSName (possibly a wildcard) match the reference DNS name? RFC 9525 §6.3: the
 * wildcard must be the whole left-most label and matches exactly one label; we also refuse wildcards
 * over fewer than two labels ("*.com"), as OpenSSL and browsers do.
 */
export function dnsNameMatches(presented: string, reference: string): boolean {
  const ref = canonicalDnsName(reference);
  return ref !== undefined && matchesCanonical(presented, ref);
}

/** dnsNameMatches with the reference already in canonicalDnsName form (computed once per certificate). */
function matchesCanonical(presented: string, ref: string): boolean {
  if (presented.startsWith('*.')) {
    const base = canonicalDnsName(presented.slice(2));
    if (base === undefined || base.includes('*') || !base.includes('.')) return false;
    const dot = ref.indexOf('.');
    return dot > 0 && ref.slice(dot + 1) === base;
  }
  if (presented.includes('*')) return false; // partial-label wildcards ("f*.example.com") are not allowed
  return canonicalDnsName(presented) === ref;
}

/** Does the certificate's subjectAltName cover `serverName` (a DNS name or an IP literal)? */
export function serverNameMatches(san: SubjectAltNames | undefined, serverName: string): boolean {
  if (san === undefined) return false;
  const ip = ipAddressBytes(serverName);
  if (ip !== undefined) {
    // RFC 9525 §6.4 / RFC 5280 §4.2.1.6: an IP reference matches only an iPAddress, byte for byte (so
    // only one of the same family).
    return san.ipAddresses.some((a) => a.length === ip.length && Buffer.compare(Buffer.from(a), ip) === 0);
  }
  const ref = canonicalDnsName(serverName);
  return ref !== undefined && san.dnsNames.some((presented) => matchesCanonical(presented, ref));
}
