// The two independent QUIC peers talk to each other: this proves the interop harness itself (build,
// start, echo check) before our own stack is put between them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { describePeerRun, runPeerClient, startPeerServer, type PeerKind } from '../helpers/interop.js';

for (const [server, client] of [['quiche', 'quic-go'], ['quic-go', 'quiche']] as Array<[PeerKind, PeerKind]>) {
  test(`interop harness: ${client} client echoes through ${server} server`, async (t) => {
    const peer = await startPeerServer(server);
    t.after(() => peer.stop());
    const r = await runPeerClient(client, { port: peer.port, bytes: 50000, streams: 2 });
    assert.equal(r.code, 0, describePeerRun(r));
    assert.equal(r.summary?.ok, true, JSON.stringify(r.summary));
  });
}
