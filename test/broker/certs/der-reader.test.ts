import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readChildren, readTlv } from '../../../src/broker/certs/der-reader.js';
import { derInteger, derOctetString, derSequence } from '../../../src/broker/certs/der-writer.js';
import { CertificateGenerationError } from '../../../src/broker/certs/errors.js';
import { hex, toHex } from '../../helpers/vectors.js';

const malformed = (re: RegExp) => (e: unknown): boolean => e instanceof CertificateGenerationError && e.code === 'CERT_MALFORMED_DER' && re.test(e.message);

test('reads short- and long-form elements and walks children', () => {
  const big = derOctetString(new Uint8Array(300).fill(7));
  const seq = derSequence(derInteger(5), big);
  const outer = readTlv(seq, 0);
  assert.equal(outer.tag, 0x30);
  assert.equal(outer.end, seq.length);
  assert.equal(toHex(outer.tlv), toHex(seq));
  const [first, second, ...rest] = readChildren(outer.content);
  assert.equal(rest.length, 0);
  assert.equal(toHex(first!.tlv), '020105');
  assert.equal(toHex(first!.content), '05');
  assert.equal(second!.tag, 0x04);
  assert.equal(second!.content.length, 300);
  assert.equal(toHex(second!.tlv.subarray(0, 4)), '0482012c');
});

test('reads from a view at an offset', () => {
  const buffer = Buffer.concat([hex('ffff'), derInteger(1)]);
  const el = readTlv(buffer.subarray(2), 0);
  assert.equal(toHex(el.content), '01');
  assert.equal(toHex(readTlv(buffer, 2).content), '01');
});

test('rejects truncated, indefinite, oversized and multi-octet-tag input', () => {
  assert.throws(() => readTlv(hex('02'), 0), malformed(/truncated DER element/));
  assert.throws(() => readTlv(hex('020201'), 0), malformed(/claims 2 octets, only 1 remain/));
  assert.throws(() => readTlv(hex('3080020100 0000'.replace(/ /g, '')), 0), malformed(/indefinite length/));
  assert.throws(() => readTlv(hex('0485ffffffffff'), 0), malformed(/length of 5 octets/));
  assert.throws(() => readTlv(hex('0482ff'), 0), malformed(/truncated DER length/));
  assert.throws(() => readTlv(hex('1f0100'), 0), malformed(/multi-octet DER tag/));
  assert.throws(() => readChildren(hex('0201050201')), malformed(/claims 1 octets, only 0 remain|truncated/));
});

test('errors of the shared reader are reported as CERT_MALFORMED_DER with the cause attached', () => {
  assert.throws(
    () => readTlv(hex('3080'), 0),
    (e: unknown) => e instanceof CertificateGenerationError && e.code === 'CERT_MALFORMED_DER' && e.cause instanceof Error && e.cause.message === e.message,
  );
});
