import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate, constants, createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { certFile } from '../../helpers/certs.js';
import { hex, loadVectors } from '../../helpers/vectors.js';
import { loadPrivateKey } from '../../../src/quic/tls/certificates.js';
import {
  CERTIFICATE_SIGNATURE_SCHEMES,
  CERTIFICATE_VERIFY_SCHEMES,
  SignatureScheme,
  SignatureSchemeError,
  certificateVerifyContent,
  isCertificateVerifyScheme,
  selectSignatureScheme,
  signWithScheme,
  signatureSchemeName,
  signatureSchemesForKey,
  verifyWithPublicKey,
  verifyWithScheme,
} from '../../../src/quic/tls/signatures.js';
import { SERVER_KEY_TYPES, serverIdentity } from './test-pki.js';

const S = SignatureScheme;
const data = Buffer.from('the transcript says hello');

describe('signature scheme code points', () => {
  it('match RFC 8446 §4.2.3', () => {
    assert.deepEqual(
      [S.rsa_pkcs1_sha256, S.rsa_pkcs1_sha384, S.rsa_pkcs1_sha512, S.ecdsa_secp256r1_sha256, S.ecdsa_secp384r1_sha384,
        S.rsa_pss_rsae_sha256, S.rsa_pss_rsae_sha384, S.rsa_pss_rsae_sha512, S.ed25519],
      [0x0401, 0x0501, 0x0601, 0x0403, 0x0503, 0x0804, 0x0805, 0x0806, 0x0807],
    );
  });

  it('allow rsa_pkcs1 only in certificates, never for CertificateVerify', () => {
    for (const pkcs1 of [0x0401, 0x0501, 0x0601]) {
      assert.equal(isCertificateVerifyScheme(pkcs1), false);
      assert.ok(!CERTIFICATE_VERIFY_SCHEMES.includes(pkcs1));
      assert.ok(CERTIFICATE_SIGNATURE_SCHEMES.includes(pkcs1));
    }
    assert.equal(isCertificateVerifyScheme(0x0807), true);
  });

  it('have readable names', () => {
    assert.equal(signatureSchemeName(0x0804), 'rsa_pss_rsae_sha256');
    assert.equal(signatureSchemeName(0x0fff), '0x0fff');
  });
});

describe('signatureSchemesForKey', () => {
  it('lists the schemes each test key can sign with, in preference order', () => {
    const expected: Record<string, number[]> = {
      rsa: [0x0804, 0x0805, 0x0806],
      ecdsa: [0x0403],
      p384: [0x0503],
      ed25519: [0x0807],
    };
    for (const type of SERVER_KEY_TYPES) {
      const { key } = serverIdentity(type);
      assert.deepEqual(signatureSchemesForKey(key), expected[type], type);
      // The public key of the certificate gives the same answer.
      const cert = new X509Certificate(certFile(`server-${type}.pem`));
      assert.deepEqual(signatureSchemesForKey(cert.publicKey), expected[type], type);
    }
  });

  it('leaves out rsa_pss_rsae_sha512 for a 1024-bit RSA key (RFC 8017 §9.1.1: too short for a 64-byte salt)', () => {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.deepEqual(signatureSchemesForKey(privateKey), [0x0804, 0x0805]);
  });

  it('offers nothing for keys TLS 1.3 cannot use here', () => {
    assert.deepEqual(signatureSchemesForKey(generateKeyPairSync('ec', { namedCurve: 'secp521r1' }).privateKey), []);
    assert.deepEqual(signatureSchemesForKey(generateKeyPairSync('ed448').privateKey), []);
    assert.deepEqual(signatureSchemesForKey(generateKeyPairSync('x25519').privateKey), []);
  });

  it('selects our first scheme the peer offered', () => {
    const rsa = serverIdentity('rsa').key;
    assert.equal(selectSignatureScheme(rsa, [0x0403, 0x0806, 0x0805]), 0x0805);
    assert.equal(selectSignatureScheme(rsa, [0x0403, 0x0401]), undefined);
  });
});

describe('signWithScheme / verifyWithScheme', () => {
  for (const type of SERVER_KEY_TYPES) {
    const { key, chain } = serverIdentity(type);
    for (const scheme of signatureSchemesForKey(key)) {
      it(`round-trips ${signatureSchemeName(scheme)} with the ${type} key, and a flipped bit fails`, () => {
        const signature = signWithScheme(key, scheme, data);
        assert.equal(verifyWithScheme(chain[0]!, scheme, data, signature), true);
        const badSignature = Buffer.from(signature);
        badSignature[badSignature.length >> 1]! ^= 0x10;
        assert.equal(verifyWithScheme(chain[0]!, scheme, data, badSignature), false);
        const badData = Buffer.from(data);
        badData[0]! ^= 0x01;
        assert.equal(verifyWithScheme(chain[0]!, scheme, badData, signature), false);
      });
    }
  }

  it('signs ECDSA as a DER ECDSA-Sig-Value (RFC 8446 §4.2.3)', () => {
    const signature = signWithScheme(serverIdentity('ecdsa').key, S.ecdsa_secp256r1_sha256, data);
    assert.equal(signature[0], 0x30);
    assert.equal(signature[1], signature.length - 2);
  });

  it('uses RSA-PSS with a salt as long as the hash: a PSS signature with another salt length fails', () => {
    const { key, chain } = serverIdentity('rsa');
    const zeroSalt = sign('sha256', data, { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 0 });
    assert.equal(verifyWithScheme(chain[0]!, S.rsa_pss_rsae_sha256, data, zeroSalt), false);
    const pkcs1 = sign('sha256', data, key);
    assert.equal(verifyWithScheme(chain[0]!, S.rsa_pss_rsae_sha256, data, pkcs1), false);
  });

  it('returns false when the scheme does not fit the key', () => {
    const ecdsa = serverIdentity('ecdsa');
    const sig256 = signWithScheme(ecdsa.key, S.ecdsa_secp256r1_sha256, data);
    assert.equal(verifyWithScheme(ecdsa.chain[0]!, S.ecdsa_secp384r1_sha384, data, sig256), false); // curve bound to scheme
    assert.equal(verifyWithScheme(ecdsa.chain[0]!, S.rsa_pss_rsae_sha256, data, sig256), false);
    const rsa = serverIdentity('rsa');
    const pss = signWithScheme(rsa.key, S.rsa_pss_rsae_sha256, data);
    assert.equal(verifyWithScheme(rsa.chain[0]!, S.ed25519, data, pss), false);
    assert.equal(verifyWithScheme(rsa.chain[0]!, S.rsa_pkcs1_sha256, data, sign('sha256', data, rsa.key)), false);
  });

  it('never throws on garbage signatures, certificates or schemes', () => {
    const { chain } = serverIdentity('ecdsa');
    for (const garbage of [new Uint8Array(0), new Uint8Array([0x30]), new Uint8Array(300).fill(0xff)]) {
      assert.equal(verifyWithScheme(chain[0]!, S.ecdsa_secp256r1_sha256, data, garbage), false);
      assert.equal(verifyWithScheme(serverIdentity('rsa').chain[0]!, S.rsa_pss_rsae_sha256, data, garbage), false);
      assert.equal(verifyWithScheme(serverIdentity('ed25519').chain[0]!, S.ed25519, data, garbage), false);
      assert.equal(verifyWithScheme(garbage, S.ecdsa_secp256r1_sha256, data, garbage), false);
    }
    assert.equal(verifyWithScheme(chain[0]!, 0xffff, data, new Uint8Array(64)), false);
  });

  it('refuses to sign with a scheme the key cannot use', () => {
    const p256 = serverIdentity('ecdsa').key;
    assert.throws(() => signWithScheme(p256, S.ecdsa_secp384r1_sha384, data), (e: unknown) => e instanceof SignatureSchemeError && /EC prime256v1 key cannot sign with ecdsa_secp384r1_sha384/.test(e.message));
    assert.throws(() => signWithScheme(p256, S.rsa_pkcs1_sha256, data), /cannot sign a CertificateVerify/);
    assert.throws(() => signWithScheme(createPublicKey(p256), S.ecdsa_secp256r1_sha256, data), SignatureSchemeError);
  });
});

describe('certificateVerifyContent', () => {
  it('is 64 spaces, the context string, a zero byte and the hash (RFC 8446 §4.4.3)', () => {
    const hash = Buffer.alloc(32, 0xab);
    const server = certificateVerifyContent('server', hash);
    assert.deepEqual(server.subarray(0, 64), Buffer.alloc(64, 0x20));
    assert.equal(server.subarray(64, 97).toString('ascii'), 'TLS 1.3, server CertificateVerify');
    assert.equal(server[97], 0);
    assert.deepEqual(server.subarray(98), hash);
    assert.equal(certificateVerifyContent('client', hash).subarray(64, 97).toString('ascii'), 'TLS 1.3, client CertificateVerify');
  });
});

describe('RFC 8448 §3 CertificateVerify', () => {
  interface Rfc8448 {
    client_hello: string;
    server_hello: string;
    signature_scheme: string;
    handshake_messages: { encrypted_extensions: string; certificate: string; certificate_verify: string };
    server_rsa: { certificate_der: string; modulus: string; public_exponent: string; private_exponent: string; prime1: string; prime2: string; exponent1: string; exponent2: string; coefficient: string };
  }
  const v = loadVectors<Rfc8448>('rfc8448-simple-1rtt.json');
  const cv = hex(v.handshake_messages.certificate_verify);
  // CertificateVerify: type(1) length(3) algorithm(2) signature<2>
  const scheme = cv.readUInt16BE(4);
  const signature = cv.subarray(8, 8 + cv.readUInt16BE(6));
  const transcriptHash = createHash('sha256')
    .update(hex(v.client_hello))
    .update(hex(v.server_hello))
    .update(hex(v.handshake_messages.encrypted_extensions))
    .update(hex(v.handshake_messages.certificate))
    .digest();
  const cert = hex(v.server_rsa.certificate_der);

  it('verifies the server signature with the certificate', () => {
    assert.equal(scheme, S.rsa_pss_rsae_sha256);
    assert.equal(scheme, parseInt(v.signature_scheme, 16));
    assert.equal(verifyWithScheme(cert, scheme, certificateVerifyContent('server', transcriptHash), signature), true);
  });

  it('does not verify under the client context or another scheme', () => {
    assert.equal(verifyWithScheme(cert, scheme, certificateVerifyContent('client', transcriptHash), signature), false);
    assert.equal(verifyWithScheme(cert, S.rsa_pss_rsae_sha384, certificateVerifyContent('server', transcriptHash), signature), false);
  });

  it('signs with the RFC 8448 key so that the certificate verifies it (1024-bit: no sha512)', () => {
    const b64 = (h: string): string => hex(h).toString('base64url');
    const r = v.server_rsa;
    const jwk = {
      kty: 'RSA', n: b64(r.modulus), e: b64(r.public_exponent), d: b64(r.private_exponent), p: b64(r.prime1),
      q: b64(r.prime2), dp: b64(r.exponent1), dq: b64(r.exponent2), qi: b64(r.coefficient),
    };
    const key = loadPrivateKey(createPrivateKey({ key: jwk, format: 'jwk' }).export({ type: 'pkcs1', format: 'pem' }));
    assert.deepEqual(signatureSchemesForKey(key), [0x0804, 0x0805]);
    const content = certificateVerifyContent('server', transcriptHash);
    const signed = signWithScheme(key, S.rsa_pss_rsae_sha256, content);
    assert.equal(verifyWithScheme(cert, S.rsa_pss_rsae_sha256, content, signed), true);
    // The same check straight from a public KeyObject.
    assert.equal(verifyWithPublicKey(new X509Certificate(cert).publicKey, S.rsa_pss_rsae_sha256, content, signed), true);
    assert.equal(verifyWithPublicKey(new X509Certificate(cert).publicKey, S.ecdsa_secp256r1_sha256, content, signed), false);
  });
});
