import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalDnsName, ipAddressOctets } from '../../../src/broker/certs/alt-names.js';
import { CertificateGenerationError } from '../../../src/broker/certs/errors.js';
import { toHex } from '../../helpers/vectors.js';

const invalidName = (e: unknown): boolean => e instanceof CertificateGenerationError && e.code === 'CERT_INVALID_NAME';

test('DNS names: lower case, no trailing dot, A-labels for IDNs (RFC 5280 §4.2.1.6, §7.2)', () => {
  assert.equal(canonicalDnsName('localhost'), 'localhost');
  assert.equal(canonicalDnsName('Broker-1.Example.COM.'), 'broker-1.example.com');
  assert.equal(canonicalDnsName('1host.example'), '1host.example', 'RFC 1123 §2.1 allows a leading digit');
  assert.equal(canonicalDnsName('bücher.example'), 'xn--bcher-kva.example');
  assert.equal(canonicalDnsName(`${'a'.repeat(63)}.example`), `${'a'.repeat(63)}.example`);
});

test('DNS names: refuses what a certificate must not carry', () => {
  for (const bad of ['', '.', 'my_host', '-a.example', 'a-.example', 'a..b', '*.example.com', 'a b', '127.0.0.1', `${'a'.repeat(64)}.example`, `${'abcdefghi.'.repeat(26)}com`]) {
    assert.throws(() => canonicalDnsName(bad), invalidName, JSON.stringify(bad));
  }
  assert.throws(() => canonicalDnsName('127.0.0.1'), /is an IP address/);
});

test('IP addresses: 4 or 16 octets in network order, zone ids refused', () => {
  assert.equal(toHex(ipAddressOctets('127.0.0.1')), '7f000001');
  assert.equal(toHex(ipAddressOctets('::1')), '00000000000000000000000000000001');
  assert.equal(toHex(ipAddressOctets('2001:db8::8:800:200c:417a')), '20010db8000000000008080020 0c417a'.replace(' ', ''));
  assert.equal(toHex(ipAddressOctets('::ffff:192.0.2.1')), '00000000000000000000ffffc0000201');
  for (const bad of ['', 'localhost', '256.0.0.1', 'fe80::1%eth0', '[::1]', '1.2.3']) {
    assert.throws(() => ipAddressOctets(bad), invalidName, JSON.stringify(bad));
  }
});
