import { isIPv4, isIPv6 } from 'node:net';
import type { ServerKey, SourcePosition } from './corefile-model.ts';

/** Default listening port per transport, as CoreDNS assigns them. */
const defaultPorts: Record<string, number> = {
  dns: 53,
  tls: 853,
  quic: 853,
  grpc: 443,
  https: 443,
  https3: 443,
};

/** Parses a server block key: `[transport://]zone[:port]`, where zone may be a reverse CIDR. */
export function parseServerKey(text: string, position: SourcePosition): ServerKey {
  let rest = text;
  let transport = 'dns';
  const scheme = /^([a-z0-9]+):\/\//i.exec(rest);
  if (scheme?.[1]) {
    transport = scheme[1].toLowerCase();
    rest = rest.slice(scheme[0].length);
  }
  const key: ServerKey = {
    text,
    transport,
    zones: [],
    port: defaultPorts[transport] ?? 53,
    position,
  };
  if (!(transport in defaultPorts)) {
    key.problem = `unknown transport ${transport}://`;
    return key;
  }
  const colon = rest.lastIndexOf(':');
  if (colon === rest.length - 1 && colon >= 0) {
    key.problem = 'nothing after the last colon; expected a port';
    return key;
  }
  if (colon !== -1 && /^\d+$/.test(rest.slice(colon + 1))) {
    const port = Number(rest.slice(colon + 1));
    if (port > 65535) {
      key.problem = `port ${port} is out of range`;
      return key;
    }
    key.port = port;
    rest = rest.slice(0, colon);
  }
  if (rest === '') rest = '.';
  const reverse = reverseZonesOf(rest);
  if (reverse) {
    key.zones = reverse;
    return key;
  }
  const problem = domainProblem(rest);
  if (problem) {
    key.problem = problem;
    return key;
  }
  key.zones = [normaliseZone(rest)];
  return key;
}

export function normaliseZone(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower : `${lower}.`;
}

/** Why `name` is not a domain name CoreDNS accepts, or undefined if it is one. */
export function domainProblem(name: string): string | undefined {
  if (name === '.') return undefined;
  const bare = name.endsWith('.') ? name.slice(0, -1) : name;
  if (bare.length > 253) return `zone is too long (${bare.length} characters)`;
  for (const label of bare.split('.')) {
    if (label.length === 0) return `zone ${name} has an empty label`;
    if (label.length > 63) return `zone ${name} has a label longer than 63 characters`;
    if (/[\s{}"]/.test(label)) return `zone ${name} holds a character not allowed in a name`;
    if (label.includes(':')) return `zone ${name} is not a domain name`;
  }
  return undefined;
}

/**
 * Reverse zones for a CIDR key. Prefixes that are not on an octet (IPv4) or nibble (IPv6)
 * boundary expand to every zone at the next boundary, as CoreDNS does.
 */
export function reverseZonesOf(text: string): string[] | undefined {
  const slash = text.indexOf('/');
  if (slash < 0) return undefined;
  const address = text.slice(0, slash);
  const prefixText = text.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (isIPv4(address) && prefix <= 32) {
    return expand(ipv4Bits(address), 32, prefix, 8).map(
      (bits) => `${reverseGroups(bits, 8, 10)}in-addr.arpa.`,
    );
  }
  if (isIPv6(address) && prefix <= 128) {
    const bits = ipv6Bits(address);
    if (!bits) return undefined;
    return expand(bits, 128, prefix, 4).map((b) => `${reverseGroups(b, 4, 16)}ip6.arpa.`);
  }
  return undefined;
}

function expand(bits: string, width: number, prefix: number, group: number): string[] {
  const boundary = Math.ceil(prefix / group) * group;
  const base = bits.slice(0, prefix);
  const extra = boundary - prefix;
  const result: string[] = [];
  for (let i = 0; i < 2 ** extra; i++) {
    const suffix = extra === 0 ? '' : i.toString(2).padStart(extra, '0');
    result.push((base + suffix).padEnd(boundary, '0').slice(0, Math.min(boundary, width)));
  }
  return result;
}

function reverseGroups(bits: string, group: number, radix: number): string {
  const parts: string[] = [];
  for (let i = 0; i + group <= bits.length; i += group) {
    parts.push(Number.parseInt(bits.slice(i, i + group), 2).toString(radix));
  }
  return parts
    .reverse()
    .map((p) => `${p}.`)
    .join('');
}

function ipv4Bits(address: string): string {
  return address
    .split('.')
    .map((octet) => Number(octet).toString(2).padStart(8, '0'))
    .join('');
}

function ipv6Bits(address: string): string | undefined {
  const groups = expandIpv6(address);
  if (!groups) return undefined;
  return groups.map((g) => Number.parseInt(g, 16).toString(2).padStart(16, '0')).join('');
}

/** The eight 16-bit groups of an IPv6 address, `::` and embedded IPv4 expanded. */
export function expandIpv6(address: string): string[] | undefined {
  let text = address;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4?.[1]) {
    const octets = v4[1].split('.').map(Number);
    const hex = (a = 0, b = 0) => ((a << 8) | b).toString(16);
    text = `${text.slice(0, -v4[1].length)}${hex(octets[0], octets[1])}:${hex(octets[2], octets[3])}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const tail = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const missing = 8 - head.length - tail.length;
  if (missing < 0 || (halves.length === 1 && missing !== 0)) return undefined;
  return [...head, ...Array.from({ length: missing }, () => '0'), ...tail];
}
