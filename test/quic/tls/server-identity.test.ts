import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { dnsNameMatches, ipAddressBytes, serverNameMatches } from '../../../src/quic/tls/server-identity.js';

describe('dnsNameMatches (RFC 9525 §6.3)', () => {
  it('matches exact names case-insensitively, ignoring one trailing dot', () => {
    assert.equal(dnsNameMatches('broker.example.com', 'Broker.EXAMPLE.com'), true);
    assert.equal(dnsNameMatches('broker.example.com', 'broker.example.com.'), true);
    assert.equal(dnsNameMatches('broker.example.com.', 'broker.example.com'), true);
    assert.equal(dnsNameMatches('broker.example.com', 'broker.example.org'), false);
    assert.equal(dnsNameMatches('broker.example.com', 'example.com'), false);
  });

  it('lets a wildcard stand for exactly one whole left-most label', () => {
    assert.equal(dnsNameMatches('*.example.com', 'a.example.com'), true);
    assert.equal(dnsNameMatches('*.example.com', 'a.b.example.com'), false);
    assert.equal(dnsNameMatches('*.example.com', 'example.com'), false);
    assert.equal(dnsNameMatches('*.example.com', '.example.com'), false);
    assert.equal(dnsNameMatches('*.Example.COM', 'x.example.com'), true);
  });

  it('refuses partial-label, non-left-most and too-broad wildcards', () => {
    assert.equal(dnsNameMatches('f*.example.com', 'foo.example.com'), false);
    assert.equal(dnsNameMatches('*oo.example.com', 'foo.example.com'), false);
    assert.equal(dnsNameMatches('a.*.example.com', 'a.b.example.com'), false);
    assert.equal(dnsNameMatches('*.*.example.com', 'a.b.example.com'), false);
    assert.equal(dnsNameMatches('*.com', 'example.com'), false);
    assert.equal(dnsNameMatches('*', 'localhost'), false);
  });

  it('refuses empty labels and compares internationalized names as A-labels', () => {
    assert.equal(dnsNameMatches('a..example.com', 'a..example.com'), false);
    assert.equal(dnsNameMatches('', ''), false);
    assert.equal(dnsNameMatches('xn--bcher-kva.example', 'bücher.example'), true);
    assert.equal(dnsNameMatches('*.example.com', 'bücher.example.com'), true);
  });
});

describe('ipAddressBytes', () => {
  it('parses IPv4 and every IPv6 layout', () => {
    assert.equal(ipAddressBytes('127.0.0.1')!.toString('hex'), '7f000001');
    assert.equal(ipAddressBytes('::1')!.toString('hex'), '0'.repeat(31) + '1');
    assert.equal(ipAddressBytes('[::1]')!.toString('hex'), '0'.repeat(31) + '1');
    assert.equal(ipAddressBytes('fe80::1%eth0')!.toString('hex'), 'fe80' + '0'.repeat(27) + '1');
    assert.equal(ipAddressBytes('2001:db8::')!.toString('hex'), '20010db8' + '0'.repeat(24));
    assert.equal(ipAddressBytes('2001:db8:0:0:1:0:0:1')!.toString('hex'), '20010db8000000000001000000000001');
    assert.equal(ipAddressBytes('::ffff:192.0.2.1')!.toString('hex'), '00000000000000000000ffffc0000201');
    assert.equal(ipAddressBytes('::')!.toString('hex'), '0'.repeat(32));
  });

  it('returns undefined for names', () => {
    assert.equal(ipAddressBytes('localhost'), undefined);
    assert.equal(ipAddressBytes('1.2.3'), undefined);
    assert.equal(ipAddressBytes('[localhost]'), undefined);
  });
});

describe('serverNameMatches', () => {
  const san = { dnsNames: ['localhost', '*.example.com'], ipAddresses: [Buffer.from([127, 0, 0, 1]), ipAddressBytes('::1')!] };

  it('matches IP literals only against iPAddress entries of the same family', () => {
    assert.equal(serverNameMatches(san, '127.0.0.1'), true);
    assert.equal(serverNameMatches(san, '::1'), true);
    assert.equal(serverNameMatches(san, '::ffff:127.0.0.1'), false);
    assert.equal(serverNameMatches(san, '127.0.0.2'), false);
    assert.equal(serverNameMatches({ dnsNames: ['127.0.0.1'], ipAddresses: [] }, '127.0.0.1'), false);
  });

  it('matches DNS names only against dNSName entries', () => {
    assert.equal(serverNameMatches(san, 'localhost'), true);
    assert.equal(serverNameMatches(san, 'mqtt.example.com'), true);
    assert.equal(serverNameMatches(san, 'example.com'), false);
    assert.equal(serverNameMatches(undefined, 'localhost'), false);
  });
});
