// Whether a peer address is this host's loopback interface. Loopback paths carry datagrams far larger
// than any Ethernet MTU, so the connection factory lets PMTU discovery (RFC 8899, RFC 9000 §14.3) search
// up to the loopback MTU there instead of the Internet-safe default.
import { isIPv4, isIPv6 } from 'node:net';

/**
 * The largest UDP payload PMTU discovery tries on a loopback path: Linux's loopback MTU (65536) minus
 * the IPv6 (40) and UDP (8) headers. It also fits IPv4, whose limit is 65507 (65535 - 20 - 8, RFC 791,
 * RFC 768). A loopback with a smaller MTU is found by the search itself, as any path's is.
 */
export const LOOPBACK_PMTU_MAX_DATAGRAM_SIZE = 65_488;

/** 127.0.0.0/8 (RFC 1122 §3.2.1.3), ::1 (RFC 4291 §2.5.3) and IPv4-mapped 127/8 (RFC 4291 §2.5.5.2). */
export function isLoopbackAddress(address: string): boolean {
  if (isIPv4(address)) return address.startsWith('127.');
  if (!isIPv6(address)) return false;
  const lower = address.toLowerCase();
  if (lower === '::1' || lower === '0:0:0:0:0:0:0:1') return true;
  const mapped = /^(?:0{0,4}:){0,5}:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower)?.[1];
  return mapped !== undefined && isIPv4(mapped) && mapped.startsWith('127.');
}

/** The host part of a PathAddress string ("ip:port", IPv6 in brackets). */
export function pathHost(remote: string): string {
  const colon = remote.lastIndexOf(':');
  const host = colon < 0 ? remote : remote.slice(0, colon);
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}
