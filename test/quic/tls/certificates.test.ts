import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createPrivateKey, generateKeyPairSync } from 'node:crypto';
import { rootCertificates } from 'node:tls';
import { certFile } from '../../helpers/certs.js';
import {
  CHAIN_LIMITS,
  CertificateError,
  PrivateKeyError,
  TrustStore,
  certificateSubjectCommonName,
  createTrustStore,
  loadCertificateChain,
  loadPrivateKey,
  privateKeyMatchesCertificate,
  verifyCertificateChain,
  type CertificateErrorReason,
  type VerifyChainOptions,
} from '../../../src/quic/tls/certificates.js';
import { CA_EXTENSIONS, OpensslCa, SERVER_KEY_TYPES, leafExtensions, serverIdentity, testCaTrustStore } from './test-pki.js';

const NOW = new Date();
const der = (name: string): Uint8Array => loadCertificateChain(certFile(name))[0]!;

function expectFailure(
  chain: Uint8Array[],
  opts: Partial<VerifyChainOptions>,
  reason: CertificateErrorReason,
  alert: number,
  message?: string | RegExp,
): void {
  assert.throws(
    () => verifyCertificateChain(chain, { trust: testCaTrustStore(), purpose: 'server', now: NOW, ...opts }),
    (err: unknown) => {
      assert.ok(err instanceof CertificateError, `expected CertificateError, got ${String(err)}`);
      assert.equal(err.reason, reason, err.message);
      assert.equal(err.alert, alert);
      assert.equal(err.code, 'ERR_TLS_CERTIFICATE');
      if (typeof message === 'string') assert.equal(err.message, message);
      else if (message) assert.match(err.message, message);
      return true;
    },
  );
}

describe('loadCertificateChain', () => {
  it('returns the DER certificates of a chain file in file order, leaf first', () => {
    const chain = loadCertificateChain(certFile('server-rsa-chain.pem'));
    assert.equal(chain.length, 2);
    assert.deepEqual(chain[0], der('server-rsa.pem'));
    assert.deepEqual(chain[1], der('ca.pem'));
  });

  it('accepts the PEM as a string or bytes, and a single DER certificate', () => {
    const fromString = loadCertificateChain(certFile('ca.pem').toString('utf8'));
    assert.deepEqual(loadCertificateChain(fromString[0]!), fromString);
  });

  it('refuses input without a certificate', () => {
    assert.throws(() => loadCertificateChain(certFile('server-rsa-key.pem')), (e: unknown) => e instanceof CertificateError && e.reason === 'empty' && /no "BEGIN CERTIFICATE"/.test(e.message));
    assert.throws(() => loadCertificateChain(''), (e: unknown) => e instanceof CertificateError && e.reason === 'empty');
  });

  it('refuses a corrupt certificate block', () => {
    const pem = '-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n';
    assert.throws(() => loadCertificateChain(pem), (e: unknown) => e instanceof CertificateError && e.reason === 'malformed' && /PEM certificate #1/.test(e.message));
  });
});

describe('loadPrivateKey', () => {
  it('loads the PKCS#8 keys of every test key type', () => {
    const expected = { rsa: 'rsa', ecdsa: 'ec', p384: 'ec', ed25519: 'ed25519' } as const;
    for (const type of SERVER_KEY_TYPES) {
      const key = loadPrivateKey(certFile(`server-${type}-key.pem`));
      assert.equal(key.type, 'private');
      assert.equal(key.asymmetricKeyType, expected[type]);
    }
  });

  it('loads PKCS#1 RSA and SEC1 EC keys', () => {
    const rsa = createPrivateKey(certFile('server-rsa-key.pem')).export({ type: 'pkcs1', format: 'pem' });
    assert.match(rsa.toString(), /BEGIN RSA PRIVATE KEY/);
    assert.equal(loadPrivateKey(rsa).asymmetricKeyType, 'rsa');
    const ec = createPrivateKey(certFile('server-p384-key.pem')).export({ type: 'sec1', format: 'pem' });
    assert.match(ec.toString(), /BEGIN EC PRIVATE KEY/);
    assert.equal(loadPrivateKey(Buffer.from(ec)).asymmetricKeyDetails?.namedCurve, 'secp384r1');
  });

  it('refuses unsupported curves and key types, garbage and encrypted keys', () => {
    const p521 = generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    assert.throws(() => loadPrivateKey(p521), (e: unknown) => e instanceof PrivateKeyError && /curve secp521r1/.test(e.message));
    const ed448 = generateKeyPairSync('ed448').privateKey.export({ type: 'pkcs8', format: 'pem' });
    assert.throws(() => loadPrivateKey(ed448), (e: unknown) => e instanceof PrivateKeyError && /type ed448/.test(e.message));
    assert.throws(() => loadPrivateKey('not a key'), (e: unknown) => e instanceof PrivateKeyError && e.code === 'ERR_TLS_PRIVATE_KEY');
    const encrypted = createPrivateKey(certFile('server-ecdsa-key.pem')).export({
      type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'secret',
    });
    assert.throws(() => loadPrivateKey(encrypted), PrivateKeyError);
  });

  it('tells whether a key belongs to a certificate', () => {
    const key = loadPrivateKey(certFile('server-ecdsa-key.pem'));
    assert.equal(privateKeyMatchesCertificate(key, der('server-ecdsa.pem')), true);
    assert.equal(privateKeyMatchesCertificate(key, der('server-p384.pem')), false);
    assert.equal(privateKeyMatchesCertificate(key, new Uint8Array([1, 2, 3])), false);
  });
});

describe('certificateSubjectCommonName', () => {
  it('returns the subject CN, or undefined for garbage', () => {
    assert.equal(certificateSubjectCommonName(der('client.pem')), 'client');
    assert.equal(certificateSubjectCommonName(der('server-ed25519.pem')), 'server-ed25519');
    assert.equal(certificateSubjectCommonName(new Uint8Array([0x30, 0x03, 0x01])), undefined);
  });
});

describe('createTrustStore', () => {
  it("uses Node's root certificates by default, built once", () => {
    const roots = createTrustStore();
    assert.equal(roots.size, rootCertificates.length);
    assert.ok(roots.size > 50, `only ${roots.size} roots`);
    assert.equal(createTrustStore([]), roots);
    // The test CA is not a public root.
    expectFailure(serverIdentity('ecdsa').chain.slice(0, 1), { trust: roots }, 'unknown_ca', 48);
  });

  it('holds every certificate of the given PEM texts once', () => {
    const store = createTrustStore([certFile('ca.pem'), Buffer.concat([certFile('other-ca.pem'), certFile('ca.pem')])]);
    assert.equal(store.size, 2);
  });

  it('finds an anchor whose subject is encoded differently from the issuer name in the leaf', () => {
    // Re-encode the CA subject's CN "ca" from UTF8String to PrintableString: the names are equal
    // (RFC 5280 §7.1) but no longer byte-identical. Only the CA's own signature breaks, and a trust
    // anchor's self-signature is not part of path validation.
    const ca = Buffer.from(der('ca.pem'));
    const cn = Buffer.from([0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x02, 0x63, 0x61]);
    const subjectCn = ca.indexOf(cn, ca.indexOf(cn) + 1); // the issuer comes first, then the subject
    assert.ok(subjectCn > 0);
    ca[subjectCn + 5] = 0x13;
    const store = createTrustStore([ca]);
    verifyCertificateChain([der('server-rsa.pem')], { trust: store, serverName: 'localhost', purpose: 'server', now: NOW });
  });

  it('refuses PEM text without a certificate, or with a corrupt one', () => {
    assert.throws(() => createTrustStore(['nothing here']), (e: unknown) => e instanceof CertificateError && e.reason === 'empty');
    const corrupt = '-----BEGIN CERTIFICATE-----\nMAMCAQA=\n-----END CERTIFICATE-----\n';
    assert.throws(() => createTrustStore([certFile('ca.pem'), corrupt]), (e: unknown) => e instanceof CertificateError && e.reason === 'malformed');
  });

  it('only accepts stores made by createTrustStore', () => {
    const fake = new TrustStore();
    assert.equal(fake.size, 0);
    assert.throws(() => verifyCertificateChain([der('server-rsa.pem')], { trust: fake, purpose: 'server', now: NOW }), TypeError);
  });

  it('refuses an invalid Date rather than skipping the validity check', () => {
    assert.throws(() => verifyCertificateChain([der('server-rsa.pem')], { trust: testCaTrustStore(), purpose: 'server', now: new Date('nonsense') }), /invalid Date/);
  });
});

describe('verifyCertificateChain with the test PKI', () => {
  for (const type of SERVER_KEY_TYPES) {
    for (const serverName of ['localhost', '127.0.0.1', '::1']) {
      it(`accepts server-${type} for ${serverName}`, () => {
        verifyCertificateChain(serverIdentity(type).chain, { trust: testCaTrustStore(), serverName, purpose: 'server', now: NOW });
      });
    }
  }

  it('accepts the leaf alone (the anchor need not be presented) and host name variants', () => {
    const leaf = [der('server-rsa.pem')];
    for (const serverName of ['LOCALHOST', 'localhost.', '[::1]', '0:0:0:0:0:0:0:1']) {
      verifyCertificateChain(leaf, { trust: testCaTrustStore(), serverName, purpose: 'server', now: NOW });
    }
  });

  it('accepts the client certificate for client authentication without a server name', () => {
    verifyCertificateChain(loadCertificateChain(certFile('client-chain.pem')), { trust: testCaTrustStore(), purpose: 'client', now: NOW });
  });

  it('rejects an expired certificate', () => {
    expectFailure([der('expired.pem')], { serverName: 'localhost' }, 'expired', 45, /^certificate expired on 2002-01-01T00:00:00Z/);
  });

  it('rejects a certificate that is not valid yet', () => {
    expectFailure([der('server-rsa.pem')], { now: new Date('2000-06-01T00:00:00Z') }, 'not_yet_valid', 45, /^certificate is not valid before /);
  });

  it('rejects a certificate from another CA', () => {
    expectFailure(
      loadCertificateChain(certFile('othercaserver-chain.pem')),
      { serverName: 'localhost' },
      'unknown_ca',
      48,
      "the chain ends at the root 'CN=other-ca, O=quicmq test', which is not in the trust store",
    );
    expectFailure([der('othercaserver.pem')], {}, 'unknown_ca', 48, "unable to find the issuer 'CN=other-ca, O=quicmq test' of 'CN=othercaserver, O=quicmq test' in the trust store");
  });

  it('rejects a certificate for another host', () => {
    expectFailure([der('wronghost.pem')], { serverName: 'localhost' }, 'hostname_mismatch', 42, "certificate for not-this-host.example does not match host name 'localhost'");
    // An IP reference never matches a DNS name, and a DNS name never matches an IP address.
    expectFailure([der('wronghost.pem')], { serverName: '127.0.0.1' }, 'hostname_mismatch', 42);
    expectFailure([der('server-rsa.pem')], { serverName: '127.0.0.2' }, 'hostname_mismatch', 42, /certificate for localhost, 127\.0\.0\.1, 0:0:0:0:0:0:0:1 does not match/);
  });

  it('rejects a self-signed certificate that is not trusted, and accepts it when pinned in the store', () => {
    expectFailure([der('selfsigned.pem')], { serverName: 'localhost' }, 'self_signed', 48, "certificate 'CN=selfsigned, O=quicmq test' is self-signed and not in the trust store");
    verifyCertificateChain([der('selfsigned.pem')], { trust: createTrustStore([certFile('selfsigned.pem')]), serverName: 'localhost', purpose: 'server', now: NOW });
  });

  it('rejects an empty chain with the alert RFC 8446 §4.4.2.4 gives each side', () => {
    expectFailure([], { purpose: 'server' }, 'empty', 50, 'the server sent no certificate');
    expectFailure([], { purpose: 'client' }, 'empty', 116, 'the client sent no certificate');
  });

  it('rejects garbage DER in the leaf or in an extra certificate', () => {
    expectFailure([new Uint8Array([0x30, 0x82, 0xff, 0xff, 0x00])], {}, 'malformed', 42, /^the leaf certificate cannot be parsed/);
    expectFailure([der('server-rsa.pem'), new Uint8Array(40)], {}, 'malformed', 42, /^certificate #2 of the chain cannot be parsed/);
  });

  it('rejects a leaf whose signature was tampered with', () => {
    const leaf = Buffer.from(der('server-ecdsa.pem'));
    leaf[leaf.length - 1]! ^= 0x01; // the last byte is inside the signature value
    expectFailure([leaf], {}, 'bad_signature', 42, "the signature on 'CN=server-ecdsa, O=quicmq test' does not verify with the key of 'CN=ca, O=quicmq test'");
  });

  it('refuses more presented certificates than the limit', () => {
    const chain = Array.from({ length: CHAIN_LIMITS.maxPresentedCertificates + 1 }, () => der('ca.pem'));
    chain[0] = der('server-rsa.pem');
    expectFailure(chain, {}, 'chain_too_long', 42, /sent 33 certificates/);
  });
});

describe('verifyCertificateChain with generated chains', () => {
  const ca = new OpensslCa();
  const c: Record<string, Uint8Array> = {};
  // The certificates are made in before() and valid for 30 days from then: check them an hour later.
  const inAnHour = new Date(Date.now() + 3600 * 1000);
  let rootOnly: TrustStore;
  const verify = (chain: Uint8Array[], opts: Partial<VerifyChainOptions> = {}): void =>
    verifyCertificateChain(chain, { trust: rootOnly, purpose: 'server', now: inAnHour, ...opts });
  const fail = (chain: Uint8Array[], reason: CertificateErrorReason, alert: number, opts: Partial<VerifyChainOptions> = {}, message?: RegExp | string): void =>
    expectFailure(chain, { trust: rootOnly, now: inAnHour, ...opts }, reason, alert, message);

  before(() => {
    c.root = ca.selfSigned('root', CA_EXTENSIONS);
    c.inter = ca.issue('inter', 'root', CA_EXTENSIONS);
    c.leaf = ca.issue('leaf', 'inter', leafExtensions('DNS:leaf.example.com'));
    c.wildcard = ca.issue('wildcard', 'inter', leafExtensions('DNS:*.example.com'));
    c.clientOnly = ca.issue('clientonly', 'root', [...CA_EXTENSIONS.slice(0, 1), 'keyUsage=critical,keyCertSign,digitalSignature', 'extendedKeyUsage=clientAuth', 'subjectAltName=DNS:leaf.example.com']);
    c.noSan = ca.issue('localhost', 'root', ['basicConstraints=critical,CA:FALSE']);
    c.sha1 = ca.issue('sha1', 'root', leafExtensions('DNS:leaf.example.com'), { digest: 'sha1' });
    c.sha384 = ca.issue('sha384', 'root', leafExtensions('DNS:leaf.example.com'), { digest: 'sha384' });
    c.manySans = ca.issue('many', 'root', leafExtensions(Array.from({ length: 10 }, (_, i) => `DNS:h${i}.example.com`).join(',')));
    c.noSign = ca.issue('nosign', 'root', ['keyUsage=critical,keyEncipherment', 'subjectAltName=DNS:leaf.example.com']);
    c.unknownCritical = ca.issue('oddext', 'root', [...leafExtensions('DNS:leaf.example.com'), '1.3.6.1.4.1.55555.1=critical,ASN1:UTF8String:must-understand']);
    // root0 allows no intermediate below it.
    c.root0 = ca.selfSigned('root0', ['basicConstraints=critical,CA:TRUE,pathlen:0', 'keyUsage=critical,keyCertSign']);
    c.inter0 = ca.issue('inter0', 'root0', CA_EXTENSIONS);
    c.leaf0 = ca.issue('leaf0', 'inter0', leafExtensions('DNS:leaf.example.com'));
    c.direct0 = ca.issue('direct0', 'root0', leafExtensions('DNS:leaf.example.com'));
    // An "intermediate" that is not a CA, and a CA without keyCertSign.
    c.notCa = ca.issue('notca', 'root', ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature,keyCertSign']);
    c.underNotCa = ca.issue('undernotca', 'notca', leafExtensions('DNS:leaf.example.com'));
    c.noCertSign = ca.issue('nocertsign', 'root', ['basicConstraints=critical,CA:TRUE', 'keyUsage=critical,digitalSignature']);
    c.underNoCertSign = ca.issue('undernocertsign', 'nocertsign', leafExtensions('DNS:leaf.example.com'));
    // An intermediate restricted to client certificates.
    c.clientCa = ca.issue('clientca', 'root', [...CA_EXTENSIONS, 'extendedKeyUsage=clientAuth']);
    c.underClientCa = ca.issue('underclientca', 'clientca', leafExtensions('DNS:leaf.example.com'));
    // "inter" cross-signed by a second trusted root, but restricted to client certificates there.
    c.root2 = ca.selfSigned('root2', CA_EXTENSIONS);
    c.interCross = ca.issue('intercross', 'root2', [...CA_EXTENSIONS, 'extendedKeyUsage=clientAuth'], { sameAs: 'inter' });
    rootOnly = createTrustStore([ca.pem('root'), ca.pem('root0'), ca.pem('root2')]);
  });
  after(() => ca.dispose());

  it('accepts root -> intermediate -> leaf when the intermediate is presented', () => {
    verify([c.leaf!, c.inter!], { serverName: 'leaf.example.com' });
  });

  it('fails when the intermediate is missing, naming the missing issuer', () => {
    fail([c.leaf!], 'unknown_ca', 48, {}, "unable to find the issuer 'CN=inter' of 'CN=leaf' in the trust store");
  });

  it('accepts presented certificates in any order, with the root and unrelated extras', () => {
    verify([c.leaf!, c.root!, c.inter!]);
    verify([c.leaf!, der('ca.pem'), c.inter0!, c.inter!, der('other-ca.pem')]);
  });

  it('tries another path when the first complete one is rejected', () => {
    // leaf -> intercross -> root2 is found first and fails the EKU check; leaf -> inter -> root succeeds.
    verify([c.leaf!, c.interCross!, c.inter!], { serverName: 'leaf.example.com' });
    fail([c.leaf!, c.interCross!], 'bad_key_usage', 43, {}, /'CN=inter' is not allowed to issue server certificates/);
    verify([c.leaf!, c.interCross!], { purpose: 'client' });
  });

  it('rejects a path longer than maxDepth', () => {
    fail([c.leaf!, c.inter!], 'chain_too_long', 42, { maxDepth: 1 }, 'no trust anchor within 1 certificates above the leaf');
    verify([c.leaf!, c.inter!], { maxDepth: 2 });
  });

  it('enforces pathLen constraints', () => {
    verify([c.direct0!]);
    fail([c.leaf0!, c.inter0!], 'chain_too_long', 42, {}, "CA certificate 'CN=root0' allows 0 intermediate(s) below it, the path has 1");
  });

  it('rejects an issuer that is not a CA', () => {
    fail([c.underNotCa!, c.notCa!], 'not_a_ca', 42, {}, /'CN=notca' issued 'CN=undernotca' but is not a CA/);
  });

  it('rejects an issuer without keyCertSign', () => {
    fail([c.underNoCertSign!, c.noCertSign!], 'bad_key_usage', 43, {}, /'CN=nocertsign' does not allow certificate signing/);
  });

  it('rejects a clientAuth-only CA certificate used as a server leaf, and accepts it for a client', () => {
    fail([c.clientOnly!], 'bad_key_usage', 43, { serverName: 'leaf.example.com' }, /not valid for TLS server authentication \(extendedKeyUsage 1\.3\.6\.1\.5\.5\.7\.3\.2\)/);
    verify([c.clientOnly!], { purpose: 'client' });
  });

  it('rejects a server certificate issued under a clientAuth-only intermediate (EKU chaining)', () => {
    fail([c.underClientCa!, c.clientCa!], 'bad_key_usage', 43, {}, /'CN=clientca' is not allowed to issue server certificates/);
  });

  it('rejects a leaf whose keyUsage does not allow signatures', () => {
    fail([c.noSign!], 'bad_key_usage', 43, {}, /does not allow digital signatures/);
  });

  it('rejects a certificate signed with SHA-1, and accepts SHA-384', () => {
    fail([c.sha1!], 'bad_signature', 43, {}, "'CN=sha1' is signed with algorithm 1.2.840.10045.4.1, which is not accepted (SHA-256 or stronger RSA, ECDSA or EdDSA required)");
    verify([c.sha384!]);
  });

  it('rejects a certificate with an unknown critical extension', () => {
    fail([c.unknownCritical!], 'unsupported_extension', 43, {}, /1\.3\.6\.1\.4\.1\.55555\.1/);
  });

  it('never falls back to the subject CN', () => {
    fail([c.noSan!], 'hostname_mismatch', 42, { serverName: 'localhost' }, "certificate 'CN=localhost' (no subjectAltName) does not match host name 'localhost'");
    verify([c.noSan!]); // without a server name to check, the chain itself is fine
  });

  it('lists at most 8 names in a host name mismatch message', () => {
    fail([c.manySans!], 'hostname_mismatch', 42, { serverName: 'other.example.com' },
      "certificate for h0.example.com, h1.example.com, h2.example.com, h3.example.com, h4.example.com, h5.example.com, h6.example.com, h7.example.com, (2 more) does not match host name 'other.example.com'");
    verify([c.manySans!], { serverName: 'h9.example.com' });
  });

  it('matches a wildcard against exactly one left-most label', () => {
    const chain = [c.wildcard!, c.inter!];
    verify(chain, { serverName: 'a.example.com' });
    verify(chain, { serverName: 'A.Example.COM' });
    fail(chain, 'hostname_mismatch', 42, { serverName: 'a.b.example.com' }, "certificate for *.example.com does not match host name 'a.b.example.com'");
    fail(chain, 'hostname_mismatch', 42, { serverName: 'example.com' });
  });

  it('checks the validity of every certificate in the path', () => {
    // The leaf is valid for 30 days from now; one year later every certificate has expired.
    const later = new Date(NOW.getTime() + 365 * 24 * 3600 * 1000);
    fail([c.leaf!, c.inter!], 'expired', 45, { now: later }, /^certificate expired on .*\('CN=leaf'\)$/);
  });
});
