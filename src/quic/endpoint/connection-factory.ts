// Turns the endpoint's routing decisions (endpoint-core.ts ServerConnectionParams / ClientConnectionParams)
// plus the application's TLS and transport settings into QuicConnection instances. This is the only
// place the endpoint knows the concrete connection class; everything else uses QuicConnectionApi.
import { QuicConnection } from '../connection/connection.js';
import type { ClientTlsSettings, ConnectionLimits, LocalTransportSettings, ServerTlsSettings } from '../connection/options.js';
import type { QuicConnectionApi } from '../connection/api.js';
import type { ClientConnectionParams, ServerConnectionParams } from './endpoint-core.js';
import { isLoopbackAddress, LOOPBACK_PMTU_MAX_DATAGRAM_SIZE, pathHost } from './loopback.js';

export interface ConnectionSettings {
  alpn: string[];
  transport?: Partial<LocalTransportSettings>;
  limits?: Partial<ConnectionLimits>;
  keylog?: (line: string) => void;
  /** Wall clock for TLS (certificate validity, ticket age); default Date.now. */
  clock?: () => number;
  /**
   * pmtuMaxDatagramSize for peers on a loopback address, unless `limits.pmtuMaxDatagramSize` is given
   * (default LOOPBACK_PMTU_MAX_DATAGRAM_SIZE). Large datagrams on loopback cost no fragmentation and cut
   * per-packet work (one AEAD call, one syscall) by up to 50x; elsewhere the default 1452 stays.
   */
  loopbackPmtuMaxDatagramSize?: number;
  /**
   * Server: send each client a NEW_TOKEN token once its handshake is confirmed (RFC 9000 §8.1.3), so its
   * next connection skips the Retry round trip. Default true.
   */
  sendNewTokens?: boolean;
}

export function serverConnectionFactory(tls: ServerTlsSettings, settings: ConnectionSettings): (p: ServerConnectionParams) => QuicConnectionApi {
  return (p) =>
    QuicConnection.server(
      {
        ...common(settings, p),
        tls,
        originalDestinationConnectionId: p.originalDestinationConnectionId,
        ...(p.retrySourceConnectionId !== undefined ? { retrySourceConnectionId: p.retrySourceConnectionId } : {}),
        addressValidated: p.addressValidated,
        // The endpoint seals the token (it holds the key and opens it later); expiry is wall-clock time.
        ...(settings.sendNewTokens !== false ? { newToken: (peerAddress: string) => p.newToken((settings.clock ?? Date.now)(), peerAddress) } : {}),
      },
      p.now,
    );
}

export function clientConnectionFactory(
  tls: ClientTlsSettings,
  settings: ConnectionSettings & { token?: Uint8Array },
): (p: ClientConnectionParams) => QuicConnectionApi {
  return (p) =>
    QuicConnection.client(
      {
        ...common(settings, p),
        tls,
        initialDestinationConnectionId: p.initialDestinationConnectionId,
        ...(settings.token !== undefined ? { token: settings.token } : {}),
      },
      p.now,
    );
}

function common(settings: ConnectionSettings, p: ServerConnectionParams | ClientConnectionParams) {
  return {
    alpn: settings.alpn,
    random: p.random,
    statelessResetKey: p.statelessResetKey,
    // The endpoint routes short headers by a fixed ID length, so the connection must issue IDs that long.
    limits: { ...settings.limits, ...loopbackLimits(settings, p.path.remote), connectionIdLength: p.connectionIdLength },
    ...(settings.transport !== undefined ? { transport: settings.transport } : {}),
    path: p.path,
    localConnectionId: p.localConnectionId,
    ...(settings.keylog !== undefined ? { keylog: settings.keylog } : {}),
    ...(settings.clock !== undefined ? { clock: settings.clock } : {}),
  };
}

/**
 * RFC 9000 §14.3: PMTU discovery may search up to the loopback MTU when the peer is on this host. The
 * limits this adds for a connection to `remote` ("ip:port"); empty elsewhere or when the application
 * chose pmtuMaxDatagramSize itself.
 */
export function loopbackLimits(settings: ConnectionSettings, remote: string): Partial<ConnectionLimits> {
  if (settings.limits?.pmtuMaxDatagramSize !== undefined || !isLoopbackAddress(pathHost(remote))) return {};
  return { pmtuMaxDatagramSize: settings.loopbackPmtuMaxDatagramSize ?? LOOPBACK_PMTU_MAX_DATAGRAM_SIZE };
}
