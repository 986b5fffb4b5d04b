// TLS key logging in the NSS key log format (the SSLKEYLOGFILE convention of NSS, OpenSSL, BoringSSL and
// curl; Wireshark reads it to decrypt QUIC and TLS 1.3 captures). Each line is
// "<label> <client random, hex> <secret, hex>". A debugging aid: the file lets anyone holding it decrypt
// the traffic, so it is only written when SSLKEYLOGFILE is set, with owner-only permissions.
import { appendFileSync } from 'node:fs';

export type KeyLogger = (line: string) => void;

/** TLS 1.3 labels of the NSS key log format. */
export type KeyLogLabel =
  | 'CLIENT_EARLY_TRAFFIC_SECRET'
  | 'CLIENT_HANDSHAKE_TRAFFIC_SECRET'
  | 'SERVER_HANDSHAKE_TRAFFIC_SECRET'
  | 'CLIENT_TRAFFIC_SECRET_0'
  | 'SERVER_TRAFFIC_SECRET_0'
  | 'EXPORTER_SECRET';

const CLIENT_RANDOM_LENGTH = 32; // RFC 8446 §4.1.2: ClientHello.random is 32 bytes
const KEY_LOG_FILE_MODE = 0o600;

/**
 * One key log line, without the newline. The client random identifies the connection (it is the
 * ClientHello's random even on the server side). Throws RangeError for a client random that is not 32
 * bytes or an empty secret (a caller bug: the line would be useless to every reader).
 */
export function keyLogLine(label: KeyLogLabel, clientRandom: Uint8Array, secret: Uint8Array): string {
  if (clientRandom.length !== CLIENT_RANDOM_LENGTH) {
    throw new RangeError(`client random must be ${CLIENT_RANDOM_LENGTH} bytes, got ${clientRandom.length}`);
  }
  if (secret.length === 0) throw new RangeError('key log secret is empty');
  return `${label} ${Buffer.from(clientRandom).toString('hex')} ${Buffer.from(secret).toString('hex')}`;
}

/**
 * A logger appending lines to the file named by SSLKEYLOGFILE, or undefined when it is unset or empty.
 * The file is created on the first line (mode 0600; an existing file keeps its mode) and each line is
 * one O_APPEND write, so several connections and processes can share it. A failing write never
 * disturbs the handshake: the first failure is reported once as a process warning, later lines are dropped.
 */
export function keyLoggerFromEnv(env: NodeJS.ProcessEnv = process.env): KeyLogger | undefined {
  const path = env['SSLKEYLOGFILE'];
  if (path === undefined || path === '') return undefined;
  let failed = false;
  return (line: string): void => {
    if (failed) return;
    try {
      appendFileSync(path, line.endsWith('\n') ? line : `${line}\n`, { mode: KEY_LOG_FILE_MODE });
    } catch (err) {
      failed = true;
      const why = err instanceof Error ? err.message : String(err);
      process.emitWarning(`cannot write the TLS key log ${path}: ${why}; key logging is off`, { code: 'QUICMQ_KEYLOG' });
    }
  };
}
