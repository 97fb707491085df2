import { isIP } from 'node:net';

export interface DnsServerAddress {
  host: string;
  port: number;
  family: 4 | 6;
}

/**
 * Reads a configured DNS server: '10.96.0.10', '1.1.1.1:53', '::1', '[::1]:5353'. It must
 * be an IP address: a server named by host name would need DNS to find DNS.
 */
export function parseDnsServer(text: string): DnsServerAddress {
  const value = text.trim();
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(value);
  const [host, portText] = bracketed
    ? [bracketed[1] ?? '', bracketed[2]]
    : isIP(value) === 6
      ? [value, undefined]
      : splitPort(value);
  const family = isIP(host);
  if (family !== 4 && family !== 6) {
    throw new TypeError(`DNS server '${text}' is not an IP address with an optional :port`);
  }
  const port = portText === undefined ? 53 : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new TypeError(`DNS server '${text}' has an invalid port`);
  }
  return { host, port, family };
}

function splitPort(value: string): [string, string | undefined] {
  const colon = value.lastIndexOf(':');
  if (colon < 0) return [value, undefined];
  const port = value.slice(colon + 1);
  return [value.slice(0, colon), /^\d+$/.test(port) ? port : 'invalid'];
}

export function formatDnsServer(server: DnsServerAddress): string {
  return server.family === 6 ? `[${server.host}]:${server.port}` : `${server.host}:${server.port}`;
}
