import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  derBitString,
  derBoolean,
  derExplicit,
  derGeneralizedTime,
  derIa5String,
  derImplicit,
  derInteger,
  derLength,
  derNamedBitString,
  derNull,
  derOctetString,
  derOid,
  derPrintableString,
  derSequence,
  derSetOf,
  derTime,
  derTlv,
  derUtcTime,
  derUtf8String,
} from '../../../src/broker/certs/der-writer.js';
import { CertificateGenerationError } from '../../../src/broker/certs/errors.js';
import { hex, toHex } from '../../helpers/vectors.js';

const invalidValue = (re: RegExp) => (e: unknown): boolean => e instanceof CertificateGenerationError && e.code === 'CERT_INVALID_VALUE' && re.test(e.message);

test('lengths: short form below 128, else the fewest long-form octets (X.690 §8.1.3, §10.1)', () => {
  assert.equal(toHex(derLength(0)), '00');
  assert.equal(toHex(derLength(127)), '7f');
  assert.equal(toHex(derLength(128)), '8180');
  assert.equal(toHex(derLength(255)), '81ff');
  assert.equal(toHex(derLength(256)), '820100');
  assert.equal(toHex(derLength(65536)), '83010000');
  assert.throws(() => derLength(-1), invalidValue(/non-negative/));
  assert.throws(() => derLength(1.5), invalidValue(/non-negative integer/));
  assert.equal(toHex(derOctetString(new Uint8Array(200)).subarray(0, 3)), '0481c8');
});

test('INTEGER: minimal, with a 0x00 before a set high bit (X.690 §8.3.2)', () => {
  assert.equal(toHex(derInteger(0)), '020100');
  assert.equal(toHex(derInteger(127)), '02017f');
  assert.equal(toHex(derInteger(128)), '02020080');
  assert.equal(toHex(derInteger(256)), '02020100');
  assert.equal(toHex(derInteger(65535)), '020300ffff');
  assert.equal(toHex(derInteger(2n ** 64n)), '0209010000000000000000');
  assert.equal(toHex(derInteger(hex('000001'))), '020101', 'redundant leading zeros are removed');
  assert.equal(toHex(derInteger(hex('0000'))), '020100');
  assert.equal(toHex(derInteger(new Uint8Array(0))), '020100');
  assert.equal(toHex(derInteger(hex('ff'))), '020200ff', 'a positive magnitude with the high bit set gets padding');
  assert.equal(toHex(derInteger(hex('7fffffffffffffffffffffffffffffff'))), '02107fffffffffffffffffffffffffffffff');
  assert.throws(() => derInteger(-1), invalidValue(/non-negative/));
  assert.throws(() => derInteger(-1n), invalidValue(/non-negative/));
  assert.throws(() => derInteger(2 ** 53), invalidValue(/safe integer/));
});

test('BOOLEAN and NULL (X.690 §11.1, §8.8)', () => {
  assert.equal(toHex(derBoolean(true)), '0101ff');
  assert.equal(toHex(derBoolean(false)), '010100');
  assert.equal(toHex(derNull()), '0500');
});

test('OBJECT IDENTIFIER: first two arcs combined, base-128 subidentifiers (X.690 §8.19)', () => {
  assert.equal(toHex(derOid('1.2.840.10045.4.3.2')), '06082a8648ce3d040302'); // ecdsa-with-SHA256
  assert.equal(toHex(derOid('1.2.840.10045.2.1')), '06072a8648ce3d0201'); // id-ecPublicKey
  assert.equal(toHex(derOid('2.5.29.19')), '0603551d13'); // basicConstraints
  assert.equal(toHex(derOid('1.3.6.1.5.5.7.3.1')), '06082b06010505070301'); // id-kp-serverAuth
  assert.equal(toHex(derOid('2.999.3')), '0603883703'); // X.690 §8.19.5 example
  assert.equal(toHex(derOid('0.0')), '060100');
  for (const bad of ['1', '3.1', '1.40', '0.40', 'a.b', '1..2', '', '1.2.']) {
    assert.throws(() => derOid(bad), invalidValue(/OID/), bad);
  }
});

test('BIT STRING: unused-bit count first, unused bits zero (X.690 §8.6, §11.2.1)', () => {
  assert.equal(toHex(derBitString(hex('6e5dc0'), 6)), '0304066e5dc0'); // X.690 §8.6.4.2 example
  assert.equal(toHex(derBitString(new Uint8Array(0))), '030100');
  assert.throws(() => derBitString(hex('6e5dc1'), 6), invalidValue(/unused bits must be zero/));
  assert.throws(() => derBitString(hex('00'), 8), invalidValue(/0\.\.7/));
  assert.throws(() => derBitString(new Uint8Array(0), 1), invalidValue(/empty/));
});

test('named bit lists drop trailing zero bits (X.690 §11.2.2), as KeyUsage needs (RFC 5280 §4.2.1.3)', () => {
  assert.equal(toHex(derNamedBitString([0])), '03020780'); // digitalSignature
  assert.equal(toHex(derNamedBitString([5, 6])), '03020106'); // keyCertSign | cRLSign
  assert.equal(toHex(derNamedBitString([0, 2])), '030205a0'); // digitalSignature | keyEncipherment
  assert.equal(toHex(derNamedBitString([7])), '03020001');
  assert.equal(toHex(derNamedBitString([8])), '0303070080'); // decipherOnly spills into a second octet
  assert.equal(toHex(derNamedBitString([])), '030100');
  assert.throws(() => derNamedBitString([-1]), invalidValue(/named bit/));
});

test('character strings: UTF8String, PrintableString, IA5String with their character sets', () => {
  assert.equal(toHex(derUtf8String('é')), '0c02c3a9');
  assert.equal(toHex(derPrintableString('Ab 1')), '130441622031');
  assert.equal(toHex(derIa5String('localhost')), '16096c6f63616c686f7374');
  assert.throws(() => derUtf8String(''), invalidValue(/empty/));
  assert.throws(() => derUtf8String('a\ud800b'), invalidValue(/surrogate/));
  assert.throws(() => derPrintableString('a@b'), invalidValue(/PrintableString/));
  assert.throws(() => derIa5String('é'), invalidValue(/IA5String/));
});

test('times: UTCTime through 2049, GeneralizedTime from 2050, seconds and Z always (RFC 5280 §4.1.2.5)', () => {
  const text = (b: Buffer): string => b.subarray(2).toString('latin1');
  const t = derTime(new Date('2026-11-26T02:51:18.789Z'));
  assert.equal(t[0], 0x17);
  assert.equal(text(t), '261126025118Z', 'fractional seconds are dropped');
  assert.equal(toHex(derUtcTime(new Date('2049-12-31T23:59:59Z'))), `170d${Buffer.from('491231235959Z').toString('hex')}`);
  const y2050 = derTime(new Date('2050-01-01T00:00:00Z'));
  assert.equal(y2050[0], 0x18);
  assert.equal(text(y2050), '20500101000000Z');
  const y1950 = derTime(new Date('1950-01-01T00:00:00Z'));
  assert.equal(y1950[0], 0x17);
  assert.equal(text(y1950), '500101000000Z');
  const y1949 = derTime(new Date('1949-12-31T23:59:59Z'));
  assert.equal(y1949[0], 0x18);
  assert.equal(text(y1949), '19491231235959Z');
  assert.throws(() => derUtcTime(new Date('2050-01-01T00:00:00Z')), invalidValue(/1950-2049/));
  assert.throws(() => derTime(new Date(Number.NaN)), invalidValue(/valid Date/));
  assert.throws(() => derGeneralizedTime(new Date('+010000-01-01T00:00:00Z')), invalidValue(/four-digit year/));
});

test('SEQUENCE keeps order, SET OF sorts its encodings (X.690 §11.6)', () => {
  assert.equal(toHex(derSequence()), '3000');
  assert.equal(toHex(derSequence(derInteger(5), derBoolean(true))), '30060201050101ff');
  assert.equal(toHex(derSetOf(derInteger(5), derBoolean(true))), '31060101ff020105');
});

test('context tags: EXPLICIT wraps, IMPLICIT replaces the tag and keeps the form (X.690 §8.14)', () => {
  assert.equal(toHex(derExplicit(0, derInteger(2))), 'a003020102'); // the X.509 version field
  assert.equal(toHex(derImplicit(2, derIa5String('a'))), '820161'); // dNSName
  assert.equal(toHex(derImplicit(7, derOctetString(hex('7f000001')))), '87047f000001'); // iPAddress
  assert.equal(toHex(derImplicit(0, derSequence(derNull()))), 'a0020500'); // constructed stays constructed
  assert.throws(() => derImplicit(0, Buffer.concat([derNull(), derNull()])), invalidValue(/exactly one TLV/));
  assert.throws(() => derExplicit(31, derNull()), invalidValue(/0\.\.30/));
  assert.throws(() => derTlv(0x1f, new Uint8Array(0)), invalidValue(/one identifier octet/));
  assert.throws(() => derTlv(256, new Uint8Array(0)), invalidValue(/one identifier octet/));
});
