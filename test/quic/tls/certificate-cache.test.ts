// The parsed-certificate cache of certificates.ts: a peer chain seen before is neither parsed nor
// signature-checked again, and everything that depends on the validation (trust store, time, host name,
// purpose) is still decided every time.
import { after, before, beforeEach, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import {
  CERTIFICATE_CACHE_LIMITS,
  CertificateError,
  certificateCacheStats,
  certificatePublicKey,
  clearCertificateCache,
  createTrustStore,
  loadCertificateChain,
  verifyCertificateChain,
  type CertificateErrorReason,
  type TrustStore,
  type VerifyChainOptions,
} from '../../../src/quic/tls/certificates.js';
import { CA_EXTENSIONS, OpensslCa, leafExtensions, testCaTrustStore } from './test-pki.js';

/** Counts X509Certificate.verify calls (the signature checks of path building) while `fn` runs. */
function countSignatureChecks(fn: () => void): number {
  const original = X509Certificate.prototype.verify;
  let calls = 0;
  X509Certificate.prototype.verify = function (this: X509Certificate, key) {
    calls++;
    return original.call(this, key);
  };
  try {
    fn();
  } finally {
    X509Certificate.prototype.verify = original;
  }
  return calls;
}

function rejects(fn: () => void, reason: CertificateErrorReason): void {
  assert.throws(fn, (e: unknown) => e instanceof CertificateError && e.reason === reason);
}

describe('parsed-certificate cache', () => {
  const ca = new OpensslCa();
  // A second CA directory: its "root" has the same subject (CN=root) as the first one, and another key.
  const forger = new OpensslCa();
  const c: Record<string, Uint8Array> = {};
  const inAnHour = new Date(Date.now() + 3600 * 1000);
  let rootStore: TrustStore;
  let forgedRootStore: TrustStore;
  const opts = (o: Partial<VerifyChainOptions> = {}): VerifyChainOptions => ({
    trust: rootStore,
    serverName: 'leaf.example.com',
    purpose: 'server',
    now: inAnHour,
    ...o,
  });

  before(() => {
    c.root = ca.selfSigned('root', CA_EXTENSIONS);
    c.inter = ca.issue('inter', 'root', CA_EXTENSIONS);
    c.leaf = ca.issue('leaf', 'inter', leafExtensions('DNS:leaf.example.com'));
    forger.selfSigned('root', CA_EXTENSIONS);
    rootStore = createTrustStore([ca.pem('root')]);
    forgedRootStore = createTrustStore([forger.pem('root')]);
  });
  after(() => {
    ca.dispose();
    forger.dispose();
  });
  beforeEach(() => clearCertificateCache());

  it('serves a repeated chain from the cache: no parse and no signature check the second time', () => {
    const chain = [c.leaf!, c.inter!];
    assert.equal(countSignatureChecks(() => verifyCertificateChain(chain, opts())), 2);
    assert.deepEqual(certificateCacheStats(), { size: 2, hits: 0, misses: 2 });
    // The same bytes in new buffers (as every handshake receives them).
    const again = chain.map((d) => Uint8Array.from(d));
    assert.equal(countSignatureChecks(() => verifyCertificateChain(again, opts())), 0);
    assert.deepEqual(certificateCacheStats(), { size: 2, hits: 2, misses: 2 });
  });

  it('keeps its own copy: bytes changed in the caller buffer after validation are not served as the old certificate', () => {
    const leaf = Uint8Array.from(c.leaf!);
    verifyCertificateChain([leaf, c.inter!], opts());
    leaf[leaf.length - 1]! ^= 0x01; // inside the signature value
    rejects(() => verifyCertificateChain([leaf, c.inter!], opts()), 'bad_signature');
    verifyCertificateChain([c.leaf!, c.inter!], opts());
  });

  it('treats any changed byte as another certificate', () => {
    verifyCertificateChain([c.leaf!, c.inter!], opts());
    const tampered = Buffer.from(c.leaf!);
    tampered[tampered.length - 1]! ^= 0x01;
    const before = certificateCacheStats();
    assert.equal(countSignatureChecks(() => rejects(() => verifyCertificateChain([tampered, c.inter!], opts()), 'bad_signature')), 1);
    assert.equal(certificateCacheStats().misses, before.misses + 1);
    // A tampered intermediate breaks the path too, even though the leaf itself is cached.
    const badInter = Buffer.from(c.inter!);
    badInter[badInter.length - 1]! ^= 0x01;
    rejects(() => verifyCertificateChain([c.leaf!, badInter], opts()), 'bad_signature');
  });

  it('validates a cached chain against the trust store of each call', () => {
    verifyCertificateChain([c.leaf!, c.inter!], opts());
    // A store without the root: no path, whatever was verified before.
    rejects(() => verifyCertificateChain([c.leaf!, c.inter!], opts({ trust: testCaTrustStore() })), 'unknown_ca');
    // A store whose root has the same name but another key: the remembered signature check of the
    // intermediate belongs to the real root, so it is checked again and fails.
    const checks = countSignatureChecks(() => rejects(() => verifyCertificateChain([c.leaf!, c.inter!], opts({ trust: forgedRootStore })), 'bad_signature'));
    assert.ok(checks >= 1);
    verifyCertificateChain([c.leaf!, c.inter!], opts());
  });

  it('checks validity, host name and purpose on every validation of a cached chain', () => {
    verifyCertificateChain([c.leaf!, c.inter!], opts());
    const later = new Date(Date.now() + 60 * 24 * 3600 * 1000); // the test certificates last 30 days
    rejects(() => verifyCertificateChain([c.leaf!, c.inter!], opts({ now: later })), 'expired');
    rejects(() => verifyCertificateChain([c.leaf!, c.inter!], opts({ now: new Date('2000-01-01T00:00:00Z') })), 'not_yet_valid');
    rejects(() => verifyCertificateChain([c.leaf!, c.inter!], opts({ serverName: 'other.example.com' })), 'hostname_mismatch');
    rejects(() => verifyCertificateChain([c.leaf!, c.inter!], opts({ maxDepth: 1 })), 'chain_too_long');
    assert.ok(certificateCacheStats().hits >= 8);
  });

  it('is bounded, dropping the least recently used certificate first', () => {
    const roots = rootCertificates.map((pem) => {
      try {
        return loadCertificateChain(pem)[0];
      } catch {
        return undefined; // a bundled root this validator cannot parse
      }
    }).filter((d): d is Uint8Array => d !== undefined);
    const max = CERTIFICATE_CACHE_LIMITS.maxEntries;
    assert.ok(roots.length > max + 1, 'enough distinct certificates');
    const seen = (der: Uint8Array): void => {
      // Each is a self-signed root the test store does not hold: rejected, but parsed (and cached).
      assert.throws(() => verifyCertificateChain([der], { trust: testCaTrustStore(), purpose: 'server', now: new Date() }), CertificateError);
    };
    for (const der of roots.slice(0, max)) seen(der);
    assert.equal(certificateCacheStats().size, max);
    seen(roots[0]!); // now the most recently used
    seen(roots[max]!); // evicts roots[1], the least recently used
    assert.equal(certificateCacheStats().size, max);
    const { hits, misses } = certificateCacheStats();
    seen(roots[0]!);
    assert.equal(certificateCacheStats().hits, hits + 1);
    seen(roots[1]!);
    assert.equal(certificateCacheStats().misses, misses + 1);
    assert.equal(certificateCacheStats().size, max);
  });

  it('never caches a certificate that does not parse', () => {
    rejects(() => verifyCertificateChain([new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00])], opts()), 'malformed');
    assert.equal(certificateCacheStats().size, 0);
  });

  it('gives the public key of a cached or uncached certificate, and undefined for garbage', () => {
    const expected = new X509Certificate(c.leaf!).publicKey.export({ type: 'spki', format: 'der' });
    const uncached = certificatePublicKey(c.leaf!);
    assert.ok(uncached);
    assert.deepEqual(uncached.export({ type: 'spki', format: 'der' }), expected);
    assert.equal(certificateCacheStats().size, 0, 'a key lookup alone does not fill the cache');
    verifyCertificateChain([c.leaf!, c.inter!], opts());
    const cached = certificatePublicKey(Uint8Array.from(c.leaf!));
    assert.ok(cached);
    assert.deepEqual(cached.export({ type: 'spki', format: 'der' }), expected);
    assert.equal(certificatePublicKey(Uint8Array.from(c.leaf!)), cached, 'one KeyObject per cached certificate');
    assert.equal(certificatePublicKey(new Uint8Array([1, 2, 3])), undefined);
  });
});
