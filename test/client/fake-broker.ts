// A scripted MQTT server for the failure paths real brokers do not produce on demand (silence, garbage,
// DISCONNECT with a reason, refusals). Each connection's packets go to `onPacket`, which answers with send().
import { createServer, type Server, type Socket } from 'node:net';
import { generate, parser, type Packet } from 'mqtt-packet';

export interface FakeConnection {
  socket: Socket;
  send(packet: Packet): void;
}

export interface FakeBroker {
  port: number;
  url: string;
  connections: Socket[];
  close(): Promise<void>;
}

export async function startFakeBroker(
  onPacket: (packet: Packet, conn: FakeConnection) => void,
  protocolVersion: 4 | 5 = 5,
): Promise<FakeBroker> {
  const connections: Socket[] = [];
  const server: Server = createServer((socket) => {
    connections.push(socket);
    socket.on('error', () => {});
    const p = parser({ protocolVersion });
    const conn: FakeConnection = {
      socket,
      send: (packet) => {
        if (!socket.destroyed) socket.write(generate(packet, { protocolVersion }));
      },
    };
    p.on('packet', (packet: Packet) => onPacket(packet, conn));
    p.on('error', () => socket.destroy());
    socket.on('data', (chunk: Buffer) => p.parse(chunk));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    port,
    url: `mqtt://127.0.0.1:${port}`,
    connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of connections) s.destroy();
        server.close(() => resolve());
      }),
  };
}
