import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { CertificateParseError, DerReader, MAX_DER_LENGTH_OCTETS, readDerTlv } from '../../../src/quic/tls/der-reader.js';
import { hex, toHex } from '../../helpers/vectors.js';

const parseError = (re: RegExp) => (e: unknown): boolean => e instanceof CertificateParseError && e.code === 'ERR_CERTIFICATE_DER' && re.test(e.message);

describe('readDerTlv (X.690 §8.1)', () => {
  it('reads the short and the long length form', () => {
    assert.deepEqual(readDerTlv(hex('020105'), 0, 3), { tag: 0x02, start: 0, contentStart: 2, end: 3 });
    const long = Buffer.concat([hex('0482012c'), Buffer.alloc(300)]);
    assert.deepEqual(readDerTlv(long, 0, long.length), { tag: 0x04, start: 0, contentStart: 4, end: 304 });
    assert.deepEqual(readDerTlv(hex('ff020100'), 1, 4, 0x02), { tag: 0x02, start: 1, contentStart: 3, end: 4 });
  });

  it('refuses each malformed or unsupported encoding with its own message', () => {
    const cases: Array<[string, RegExp]> = [
      ['02', /^truncated DER element at offset 0$/],
      ['1f0100', /multi-octet DER tag at offset 0/],
      ['3080020100', /indefinite length is not DER/],
      ['048400000001ff', new RegExp(`length of ${MAX_DER_LENGTH_OCTETS + 1} octets is too large`)],
      ['0482ff', /truncated DER length at offset 0/],
      ['020201', /claims 2 octets, only 1 remain/],
    ];
    for (const [input, re] of cases) {
      const bytes = hex(input);
      assert.throws(() => readDerTlv(bytes, 0, bytes.length), parseError(re), input);
    }
    assert.throws(() => readDerTlv(hex('020105'), 0, 3, 0x30), parseError(/expected DER tag 0x30, found 0x02 at offset 0/));
  });

  it('bounds an element by its container, not by the end of the buffer', () => {
    const bytes = hex('0201050000');
    assert.throws(() => readDerTlv(bytes, 0, 2), parseError(/claims 1 octets, only 0 remain/));
    assert.equal(readDerTlv(bytes, 0, bytes.length).end, 3);
  });
});

describe('DerReader', () => {
  it('walks a SEQUENCE element by element and exposes views', () => {
    const der = hex('3006020101040100');
    const outer = new DerReader(Buffer.from(der), 0, der.length);
    const seq = outer.read(0x30);
    assert.equal(outer.done, true);
    assert.equal(toHex(outer.whole(seq)), '3006020101040100');
    const inner = outer.enter(seq);
    assert.equal(inner.peekTag(), 0x02);
    assert.equal(toHex(inner.content(inner.read(0x02))), '01');
    assert.equal(toHex(inner.content(inner.read(0x04))), '00');
    assert.equal(inner.done, true);
    assert.equal(inner.peekTag(), undefined);
    assert.throws(() => inner.read(), parseError(/truncated DER element/));
  });
});
