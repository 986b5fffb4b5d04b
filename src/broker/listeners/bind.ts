// Parses a listener bind address: "0.0.0.0:1883", "127.0.0.1:1883", "[::]:1883" or a bare port.

export interface BindAddress {
  host: string;
  port: number;
}

export class BindAddressError extends Error {
  override readonly name = 'BindAddressError';
  readonly code = 'BIND_ADDRESS_INVALID';
  constructor(readonly bind: string, detail: string) {
    super(`invalid bind address "${bind}": ${detail}`);
  }
}

const MAX_PORT = 65535;

export function parseBind(bind: string): BindAddress {
  let host = '0.0.0.0';
  let portText = bind.trim();
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(portText);
  if (bracket) {
    host = bracket[1]!;
    portText = bracket[2]!;
  } else if (portText.includes(':')) {
    const i = portText.lastIndexOf(':');
    host = portText.slice(0, i);
    portText = portText.slice(i + 1);
    if (host.includes(':')) throw new BindAddressError(bind, 'IPv6 addresses must be in brackets');
  }
  if (!/^\d+$/.test(portText)) throw new BindAddressError(bind, 'port is not a number');
  const port = Number(portText);
  if (port > MAX_PORT) throw new BindAddressError(bind, `port above ${MAX_PORT}`);
  if (host.length === 0) throw new BindAddressError(bind, 'empty host');
  return { host, port };
}
