import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuicError, TransportErrorCode as E } from '../../../src/quic/wire/errors.js';
import {
  decodeTransportParameters,
  DEFAULT_TRANSPORT_PARAMETERS,
  encodeTransportParameters,
  TransportParameterId as Id,
  type TransportParameters,
} from '../../../src/quic/wire/transport-parameters.js';
import { encodeVarint } from '../../../src/quic/wire/varint.js';
import { hex } from '../../helpers/vectors.js';

/** Decoded values are plain Uint8Array views; compare like with like. */
const u = (h: string): Uint8Array => Uint8Array.from(hex(h));
const ISCID = u('c1c2c3c4');
const ODCID = u('0102030405060708');

/** A full server parameter set with every parameter away from its default. */
const SERVER_PARAMS: TransportParameters = {
  originalDestinationConnectionId: ODCID,
  maxIdleTimeout: 30000,
  statelessResetToken: u('00112233445566778899aabbccddeeff'),
  maxUdpPayloadSize: 1452,
  initialMaxData: 1 << 20,
  initialMaxStreamDataBidiLocal: 65536,
  initialMaxStreamDataBidiRemote: 32768,
  initialMaxStreamDataUni: 16384,
  initialMaxStreamsBidi: 100,
  initialMaxStreamsUni: 2 ** 50,
  ackDelayExponent: 20,
  maxAckDelay: 2 ** 14 - 1,
  disableActiveMigration: true,
  preferredAddress: {
    ipv4Address: u('7f000001'),
    ipv4Port: 4433,
    ipv6Address: u('00000000000000000000000000000001'),
    ipv6Port: 4434,
    connectionId: u('aabbccdd'),
    statelessResetToken: u('ffeeddccbbaa99887766554433221100'),
  },
  activeConnectionIdLimit: 8,
  initialSourceConnectionId: ISCID,
  retrySourceConnectionId: u('5555'),
  maxDatagramFrameSize: 1200,
};

/** Raw extension bytes from (id, value) pairs. */
function raw(...params: [number, Uint8Array][]): Uint8Array {
  return Buffer.concat(params.flatMap(([id, v]) => [encodeVarint(id), encodeVarint(v.length), v]));
}
const vi = (n: number): Uint8Array => encodeVarint(n);
const MIN_CLIENT: [number, Uint8Array] = [Id.initial_source_connection_id, ISCID];

function rejects(bytes: Uint8Array, sender: 'client' | 'server', why: string): void {
  assert.throws(
    () => decodeTransportParameters(bytes, sender),
    (e: unknown) => e instanceof QuicError && e.code === E.TRANSPORT_PARAMETER_ERROR,
    why,
  );
}

test('every server parameter round-trips', () => {
  const decoded = decodeTransportParameters(encodeTransportParameters(SERVER_PARAMS, 'server'), 'server');
  assert.deepEqual(decoded, SERVER_PARAMS);
});

test('a client set round-trips; absent parameters take the RFC 9000 §18.2 defaults', () => {
  const decoded = decodeTransportParameters(encodeTransportParameters({ initialSourceConnectionId: new Uint8Array(0) }, 'client'), 'client');
  assert.deepEqual(decoded, { ...DEFAULT_TRANSPORT_PARAMETERS, initialSourceConnectionId: new Uint8Array(0) });
  assert.equal(decoded.maxUdpPayloadSize, 65527);
  assert.equal(decoded.ackDelayExponent, 3);
  assert.equal(decoded.maxAckDelay, 25);
  assert.equal(decoded.activeConnectionIdLimit, 2);
  assert.equal(decoded.maxDatagramFrameSize, undefined);
});

test('unknown and GREASE parameters are ignored (RFC 9000 §7.4.2, §18.1)', () => {
  const bytes = encodeTransportParameters({ initialSourceConnectionId: ISCID }, 'client', {
    extra: [{ id: 31 * 5 + 27, value: hex('0102') }, { id: 0x4000, value: new Uint8Array(0) }],
  });
  const withHuge = Uint8Array.from(Buffer.concat([bytes, hex('ffffffffffffffff'), hex('01'), hex('00')]));
  assert.deepEqual(decodeTransportParameters(withHuge, 'client'), { ...DEFAULT_TRANSPORT_PARAMETERS, initialSourceConnectionId: ISCID });
  assert.throws(() => encodeTransportParameters({}, 'client', { extra: [{ id: Id.max_ack_delay, value: vi(1) }] }), QuicError);
});

test('server-only parameters from a client are TRANSPORT_PARAMETER_ERROR, and a client cannot encode them', () => {
  for (const [id, value] of [
    [Id.original_destination_connection_id, ODCID],
    [Id.stateless_reset_token, new Uint8Array(16)],
    [Id.retry_source_connection_id, ODCID],
    [Id.preferred_address, hex('7f000001115c' + '00'.repeat(16) + '0000' + '04aabbccdd' + '00'.repeat(16))],
  ] as [number, Uint8Array][]) {
    rejects(raw(MIN_CLIENT, [id, value]), 'client', `id 0x${id.toString(16)}`);
  }
  assert.throws(() => encodeTransportParameters({ statelessResetToken: new Uint8Array(16) }, 'client'), QuicError);
});

test('invalid values are TRANSPORT_PARAMETER_ERROR', () => {
  const server = (...extra: [number, Uint8Array][]): Uint8Array => raw(MIN_CLIENT, [Id.original_destination_connection_id, ODCID], ...extra);
  rejects(server([Id.max_udp_payload_size, vi(1199)]), 'server', 'max_udp_payload_size < 1200');
  rejects(server([Id.ack_delay_exponent, vi(21)]), 'server', 'ack_delay_exponent > 20');
  rejects(server([Id.max_ack_delay, vi(2 ** 14)]), 'server', 'max_ack_delay >= 2^14');
  rejects(server([Id.active_connection_id_limit, vi(1)]), 'server', 'active_connection_id_limit < 2');
  rejects(server([Id.initial_max_streams_bidi, hex('d000000000000001')]), 'server', 'initial_max_streams_bidi > 2^60');
  rejects(server([Id.initial_max_streams_uni, hex('ffffffffffffffff')]), 'server', 'initial_max_streams_uni > 2^60');
  rejects(server([Id.max_idle_timeout, vi(1)], [Id.max_idle_timeout, vi(2)]), 'server', 'duplicate');
  rejects(server([0x1234, vi(1)], [0x1234, vi(1)]), 'server', 'duplicate unknown');
  rejects(server([Id.stateless_reset_token, new Uint8Array(15)]), 'server', 'token length');
  rejects(server([Id.disable_active_migration, hex('00')]), 'server', 'disable_active_migration not empty');
  rejects(server([Id.initial_max_data, hex('4001ff')]), 'server', 'varint with trailing bytes');
  rejects(server([Id.initial_max_data, new Uint8Array(0)]), 'server', 'empty varint');
  rejects(server([Id.initial_max_data, hex('40')]), 'server', 'truncated varint value');
  rejects(server([Id.retry_source_connection_id, new Uint8Array(21)]), 'server', 'CID > 20');
  const pa = (cidLen: number, tail = ''): Uint8Array => hex('7f000001115c' + '00'.repeat(16) + '0000' + cidLen.toString(16).padStart(2, '0') + 'ab'.repeat(cidLen) + '00'.repeat(16) + tail);
  rejects(server([Id.preferred_address, pa(0)]), 'server', 'preferred_address empty CID');
  rejects(raw([Id.initial_source_connection_id, new Uint8Array(0)], [Id.original_destination_connection_id, ODCID], [Id.preferred_address, pa(4)]), 'server', 'preferred_address with a zero-length server CID');
  rejects(server([Id.preferred_address, pa(21)]), 'server', 'preferred_address CID > 20');
  rejects(server([Id.preferred_address, pa(4, '00')]), 'server', 'preferred_address trailing byte');
  rejects(server([Id.preferred_address, pa(4).subarray(0, 30)]), 'server', 'preferred_address truncated');
  rejects(raw(MIN_CLIENT).subarray(0, 3), 'client', 'truncated parameter');
  assert.equal(decodeTransportParameters(server([Id.initial_max_streams_bidi, hex('d000000000000000')]), 'server').initialMaxStreamsBidi, Number.MAX_SAFE_INTEGER);
  assert.equal(decodeTransportParameters(server([Id.initial_max_data, hex('ffffffffffffffff')]), 'server').initialMaxData, Number.MAX_SAFE_INTEGER);
});

test('required connection IDs (RFC 9000 §7.3)', () => {
  rejects(raw(), 'client', 'initial_source_connection_id missing');
  rejects(raw(MIN_CLIENT), 'server', 'original_destination_connection_id missing from server');
});

test('encoding refuses invalid local values', () => {
  const bad: Partial<TransportParameters>[] = [
    { maxUdpPayloadSize: 1000 }, { ackDelayExponent: 21 }, { maxAckDelay: 2 ** 14 }, { activeConnectionIdLimit: 1 },
    { initialMaxStreamsBidi: 2 ** 60 + 2 ** 40 }, { initialSourceConnectionId: new Uint8Array(21) },
  ];
  for (const p of bad) assert.throws(() => encodeTransportParameters(p, 'server'), (e: unknown) => e instanceof QuicError && e.code === E.INTERNAL_ERROR);
  assert.throws(() => encodeTransportParameters({ preferredAddress: { ...SERVER_PARAMS.preferredAddress!, connectionId: new Uint8Array(0) } }, 'server'), QuicError);
});
