// The bulk-transfer exchange all servers speak: the client sends bytes and ends its side; the server
// counts what it read and, at the end, answers with the count in decimal ASCII and ends its side. The
// client stops its clock when that answer arrives, so the figure covers delivery, not just buffering.
import type { Duplex } from 'node:stream';

/** Serves one exchange on a Duplex (TCP socket, TLS socket, QUIC stream). Errors end it quietly. */
export function serveByteCount(stream: Duplex): void {
  let received = 0;
  stream.on('data', (chunk: Buffer) => {
    received += chunk.length;
  });
  stream.on('end', () => stream.end(String(received)));
  stream.on('error', () => stream.destroy());
}

/** Parses the server's answer; NaN when it is not a count. */
export function parseByteCount(answer: string): number {
  return /^\d+$/.test(answer) ? Number(answer) : NaN;
}
