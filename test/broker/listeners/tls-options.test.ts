import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import type { SslOptions } from '../../../src/broker/config/types.js';
import { admitTlsPeer } from '../../../src/broker/listeners/tls-options.js';

const ssl = (over: Partial<SslOptions>): SslOptions => ({
  keyfile: 'unused',
  certfile: 'unused',
  verify: 'verify_peer',
  fail_if_no_peer_cert: false,
  versions: ['tlsv1.3'],
  ...over,
});

/** Just what peerCheck reads of a TLSSocket. */
const socket = (peer: { CN?: string } | undefined, authorized: boolean): TLSSocket =>
  ({
    getPeerCertificate: () => (peer === undefined ? {} : { subject: peer }),
    authorized,
    authorizationError: authorized ? null : new Error('UNABLE_TO_VERIFY_LEAF_SIGNATURE'),
  }) as unknown as TLSSocket;

function recordingLogger(): { logger: Logger; lines: Array<[Record<string, unknown>, string]> } {
  const lines: Array<[Record<string, unknown>, string]> = [];
  const logger = { info: (obj: Record<string, unknown>, msg: string) => void lines.push([obj, msg]) } as unknown as Logger;
  return { logger, lines };
}

test('admitTlsPeer: a verified client certificate contributes its common name', () => {
  const { logger, lines } = recordingLogger();
  const log = { logger, listener: 'ssl:x', remote: '127.0.0.1:1' };
  assert.deepEqual(admitTlsPeer(socket({ CN: 'client' }, true), ssl({}), log), { certCommonName: 'client' });
  assert.deepEqual(admitTlsPeer(socket({}, true), ssl({}), log), {});
  assert.deepEqual(admitTlsPeer(socket(undefined, false), ssl({}), log), {}, 'no certificate, none required');
  assert.deepEqual(admitTlsPeer(socket({ CN: 'ignored' }, false), ssl({ verify: 'verify_none' }), log), {});
  assert.equal(lines.length, 0);
});

test('admitTlsPeer: a refused client is logged with the reason and not admitted', () => {
  const { logger, lines } = recordingLogger();
  const log = { logger, listener: 'wss:default', remote: '[::1]:2' };
  assert.equal(admitTlsPeer(socket({ CN: 'x' }, false), ssl({}), log), undefined);
  assert.equal(admitTlsPeer(socket(undefined, false), ssl({ fail_if_no_peer_cert: true }), log), undefined);
  assert.deepEqual(lines, [
    [{ listener: 'wss:default', remote: '[::1]:2', reason: 'client certificate rejected: Error: UNABLE_TO_VERIFY_LEAF_SIGNATURE' }, 'TLS client refused'],
    [{ listener: 'wss:default', remote: '[::1]:2', reason: 'no client certificate' }, 'TLS client refused'],
  ]);
});
