// QuicConnectionHandle's close path: the QuicConnectionClosedError is built only for whoever receives
// it (a pending `ready`, waiting openers, streams cut short), and the same instance goes to all of them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { QuicConnectionHandle } from '../../../src/quic/endpoint/connection-handle.js';
import { EndpointConnection } from '../../../src/quic/endpoint/endpoint-core.js';
import { QuicConnectionClosedError } from '../../../src/quic/endpoint/errors.js';
import { StubConnection } from './stub-connection.js';

/** Opens streams while `openLimit` lasts (client-side bidirectional IDs 0, 4, 8, ...). */
class OpenStub extends StubConnection {
  openLimit = 0;
  private next = 0;
  override openStream(): number | undefined {
    if (this.openLimit <= 0) return undefined;
    this.openLimit--;
    return 4 * this.next++;
  }
}

function handle(conn: StubConnection): QuicConnectionHandle {
  const entry = new EndpointConnection(1, conn, false, '1.2.3.4:5', '5.6.7.8:9');
  return new QuicConnectionHandle({ wake: () => undefined }, entry);
}

const handshake = { type: 'handshake-complete', alpn: 'mqtt', resumed: false, earlyData: 'none' } as const;
const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

test('handle: a clean close after the handshake leaves ready resolved and reports the close', async () => {
  const h = handle(new OpenStub());
  h.dispatch(handshake);
  const closes: unknown[] = [];
  h.on('close', (i) => closes.push(i));
  const info = { code: 0, application: true, reason: '', remote: false } as const;
  h.dispatch({ type: 'closed', info });
  assert.deepEqual(await h.ready, { alpn: 'mqtt', resumed: false, earlyData: 'none' });
  assert.deepEqual(await h.closed, info);
  assert.equal(closes.length, 1);
});

test('handle: an error close after the handshake gives a waiting opener and a cut-short stream one shared error', async () => {
  const conn = new OpenStub();
  const h = handle(conn);
  h.dispatch(handshake);
  conn.openLimit = 1;
  const stream = await h.openStream();
  const streamError = new Promise<unknown>((resolve) => stream.once('error', resolve));
  const opener = h.openStream(); // no credit left: waits for streams-available
  await tick();
  const info = { code: 0x0a, application: false, reason: 'protocol violation', remote: true } as const;
  h.dispatch({ type: 'closed', info });
  const openerError = await opener.then(
    () => assert.fail('the opener must fail'),
    (e: unknown) => e,
  );
  assert.ok(openerError instanceof QuicConnectionClosedError);
  assert.equal(openerError.close, info);
  assert.equal(await streamError, openerError, 'one error instance for everything the close cut short');
  assert.deepEqual(await h.ready, { alpn: 'mqtt', resumed: false, earlyData: 'none' }, 'ready stays resolved');
});

test('handle: a close before the handshake still rejects ready with QuicConnectionClosedError', async () => {
  const h = handle(new OpenStub());
  const info = { code: 0x01, application: false, reason: 'handshake failed', remote: true } as const;
  h.dispatch({ type: 'closed', info });
  await assert.rejects(h.ready, (e: unknown) => e instanceof QuicConnectionClosedError && e.close === info);
});
