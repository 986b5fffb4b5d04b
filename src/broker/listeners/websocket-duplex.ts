// A WebSocket as a byte Duplex for MQTT over WebSocket (MQTT 5.0 §6): MQTT bytes travel in binary
// frames; a text frame is a protocol violation and closes the connection [MQTT-6.0.0-1].
import { Duplex } from 'node:stream';
import type { WebSocket, RawData } from 'ws';

/** WebSocket close code 1003 (RFC 6455 §7.4.1): unacceptable data type. */
const CLOSE_UNSUPPORTED_DATA = 1003;
/** RFC 6455 §7.4.1: normal closure. */
const CLOSE_NORMAL = 1000;

export class WebSocketDuplex extends Duplex {
  constructor(private readonly ws: WebSocket) {
    super();
    ws.on('message', (data: RawData, isBinary: boolean) => {
      if (!isBinary) {
        ws.close(CLOSE_UNSUPPORTED_DATA, 'MQTT needs binary frames');
        return;
      }
      const chunk = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
      // Back-pressure: stop reading from the socket while the consumer is not reading from us.
      if (!this.push(chunk)) ws.pause();
    });
    ws.on('close', () => {
      this.push(null);
      this.destroy();
    });
    ws.on('error', (err) => this.destroy(err));
  }

  override _read(): void {
    if (this.ws.isPaused) this.ws.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState !== this.ws.OPEN) return cb(new Error('WebSocket is not open'));
    this.ws.send(chunk, { binary: true }, (err) => cb(err ?? null));
  }

  override _final(cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(CLOSE_NORMAL);
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    if (this.ws.readyState === this.ws.OPEN || this.ws.readyState === this.ws.CONNECTING) this.ws.terminate();
    cb(err);
  }
}
