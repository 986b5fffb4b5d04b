// The QUIC stack loads on the first quic:// connection only: TCP, TLS and WebSocket users of the client
// (and `quicmq pub`/`sub` over them) do not pay its start-up time. Checked in a fresh process, with a
// module resolve hook that records every module of src/quic/ as it is loaded.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const clientIndex = new URL('../../src/client/index.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'quicmq-lazy-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const hookFile = join(dir, 'hook.mjs');
writeFileSync(
  hookFile,
  "export async function resolve(s, c, n) { const r = await n(s, c); if (r.url.includes('/src/quic/')) process.stderr.write('quic-module ' + r.url + '\\n'); return r; }\n",
);
const registerFile = join(dir, 'register.mjs');
writeFileSync(registerFile, `import { register } from 'node:module';\nregister(${JSON.stringify(pathToFileURL(hookFile).href)});\n`);

function quicModulesLoadedBy(script: string): number {
  const r = spawnSync(process.execPath, ['--import', pathToFileURL(registerFile).href, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    cwd: fileURLToPath(new URL('.', import.meta.url)),
    timeout: 30_000,
  });
  assert.equal(r.status, 0, r.stderr);
  return r.stderr.split('\n').filter((l) => l.startsWith('quic-module ')).length;
}

test('importing the client (and registering quic://) loads no QUIC module; a quic:// connection does', () => {
  assert.equal(quicModulesLoadedBy(`const c = await import('${clientIndex}'); if (!c.registeredSchemes().includes('quic')) process.exit(3);`), 0);
  // A connection attempt to a port nobody listens on: it fails, but only after loading the stack.
  const connects = `
    const { createClient } = await import('${clientIndex}');
    const client = createClient({ url: 'quic://127.0.0.1:9', connectTimeoutMs: 300 });
    await client.opened.catch(() => undefined);
    await client.end({ force: true }).catch(() => undefined);`;
  assert.ok(quicModulesLoadedBy(connects) > 10);
});
