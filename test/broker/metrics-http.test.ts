import { test } from 'node:test';
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { startMetricsServer } from '../../src/broker/metrics-http.js';

function get(port: number, path: string, method = 'GET'): Promise<{ status: number; type: string | undefined; body: string; allow: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8').on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'], body, allow: res.headers.allow }));
    });
    req.on('error', reject);
    req.end();
  });
}

test('GET /metrics serves the registry in the Prometheus text format; other paths 404, other methods 405', async (t) => {
  const registry = new Registry();
  const counter = new Counter({ name: 'quicmq_test_messages_total', help: 'test counter', registers: [registry] });
  counter.inc(3);
  const server = await startMetricsServer(registry, '127.0.0.1:0');
  t.after(() => server.close());
  assert.ok(server.port > 0);

  const ok = await get(server.port, '/metrics');
  assert.equal(ok.status, 200);
  assert.equal(ok.type, registry.contentType);
  assert.match(ok.body, /^# HELP quicmq_test_messages_total test counter$/m);
  assert.match(ok.body, /^quicmq_test_messages_total 3$/m);

  assert.equal((await get(server.port, '/metrics?x=1')).status, 200, 'query strings are ignored');
  const head = await get(server.port, '/metrics', 'HEAD');
  assert.equal(head.status, 200);
  assert.equal(head.body, '');
  assert.equal((await get(server.port, '/')).status, 404);
  assert.equal((await get(server.port, '/metricsx')).status, 404);
  const post = await get(server.port, '/metrics', 'POST');
  assert.equal(post.status, 405);
  assert.equal(post.allow, 'GET, HEAD');
});

test('a failing collector answers 500 and the server keeps serving', async (t) => {
  const registry = new Registry();
  let fail = true;
  new Gauge({
    name: 'quicmq_test_flaky',
    help: 'fails once',
    registers: [registry],
    collect() {
      if (fail) throw new Error('collector broke');
      this.set(1);
    },
  });
  const server = await startMetricsServer(registry, '127.0.0.1:0');
  t.after(() => server.close());
  const bad = await get(server.port, '/metrics');
  assert.equal(bad.status, 500);
  assert.match(bad.body, /collector broke/);
  fail = false;
  assert.match((await get(server.port, '/metrics')).body, /^quicmq_test_flaky 1$/m);
});

test('bad bind address or a port in use is an error; close() releases the port', async () => {
  await assert.rejects(startMetricsServer(new Registry(), 'nonsense'), /invalid metrics bind address "nonsense"/);
  const first = await startMetricsServer(new Registry(), '127.0.0.1:0');
  await assert.rejects(startMetricsServer(new Registry(), `127.0.0.1:${first.port}`), /EADDRINUSE/);
  await first.close();
  const again = await startMetricsServer(new Registry(), `127.0.0.1:${first.port}`);
  await again.close();
});
