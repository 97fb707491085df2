import { isIP } from 'node:net';
import type { Directive, ServerBlock } from './corefile-model.ts';
import { normaliseZone, reverseZonesOf } from './server-key.ts';

export type ForwardTransport = 'dns' | 'tls' | 'https';

export type ForwardTarget =
  | { kind: 'address'; text: string; transport: ForwardTransport; host: string; port: number }
  /** A host name, resolved when CoreDNS starts (CoreDNS 1.14.4 and later). */
  | { kind: 'hostname'; text: string; transport: ForwardTransport; host: string; port: number }
  | { kind: 'file'; text: string; path: string }
  | { kind: 'placeholder'; text: string }
  | { kind: 'invalid'; text: string; problem: string };

export interface ForwardConfig {
  directive: Directive;
  /** Normalised zone the forward takes queries for (`.` for all). */
  from: string;
  targets: ForwardTarget[];
  except: string[];
  forceTcp: boolean;
  preferUdp: boolean;
}

/** Reads a `forward FROM TO… { options }` directive. */
export function parseForward(directive: Directive): ForwardConfig {
  const [fromText = '.', ...targetTexts] = directive.args;
  const reverse = reverseZonesOf(fromText.replace(/:\d+$/, ''));
  const config: ForwardConfig = {
    directive,
    from: reverse?.[0] ?? normaliseZone(fromText.replace(/^dns:\/\//, '')),
    targets: targetTexts.map(parseForwardTarget),
    except: [],
    forceTcp: false,
    preferUdp: false,
  };
  for (const option of directive.block ?? []) {
    if (option.name === 'force_tcp') config.forceTcp = true;
    if (option.name === 'prefer_udp') config.preferUdp = true;
    if (option.name === 'except') config.except.push(...option.args.map(normaliseZone));
  }
  return config;
}

export function parseForwardTarget(text: string): ForwardTarget {
  if (text.includes('__PILLAR__')) return { kind: 'placeholder', text };
  if (text === '') {
    return { kind: 'invalid', text, problem: 'empty target (an unset environment variable?)' };
  }
  const scheme = /^([a-z0-9]+):\/\//i.exec(text)?.[1]?.toLowerCase();
  const transport = scheme === undefined ? 'dns' : schemes[scheme];
  if (!transport) {
    return { kind: 'invalid', text, problem: 'forward speaks only dns://, tls:// and https://' };
  }
  const rest = scheme === undefined ? text : text.slice(scheme.length + 3);
  // DNS over HTTPS may name a path; the host and port come before it.
  const authority = transport === 'https' ? rest.replace(/\/.*$/, '') : rest;
  const hostPort = splitHostPort(authority, defaultPorts[transport]);
  if (hostPort) return { kind: 'address', text, transport, ...hostPort };
  if (scheme === undefined && (rest.startsWith('/') || rest.startsWith('.'))) {
    return { kind: 'file', text, path: rest };
  }
  const named =
    /^([a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*)\.?(?::(\d+))?$/i.exec(
      authority,
    );
  const port = named?.[5] === undefined ? defaultPorts[transport] : Number(named[5]);
  if (named?.[1] && /[a-z]/i.test(named[1]) && validPort(port)) {
    return { kind: 'hostname', text, transport, host: named[1].toLowerCase(), port };
  }
  return {
    kind: 'invalid',
    text,
    problem: 'not an IP address, IP:port, host name or resolv.conf path',
  };
}

const schemes: Readonly<Record<string, ForwardTransport>> = {
  dns: 'dns',
  tls: 'tls',
  https: 'https',
};
const defaultPorts: Readonly<Record<ForwardTransport, number>> = { dns: 53, tls: 853, https: 443 };

/** Splits `IP`, `IP:port`, `[IPv6]:port` or a bare IPv6 address; undefined if not an IP. */
export function splitHostPort(
  text: string,
  defaultPort: number,
): { host: string; port: number } | undefined {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed?.[1]) {
    const port = bracketed[2] === undefined ? defaultPort : Number(bracketed[2]);
    return isIP(bracketed[1]) === 6 && validPort(port) ? { host: bracketed[1], port } : undefined;
  }
  if (isIP(text)) return { host: text, port: defaultPort };
  const colon = text.lastIndexOf(':');
  if (colon > 0 && /^\d+$/.test(text.slice(colon + 1))) {
    const host = text.slice(0, colon);
    const port = Number(text.slice(colon + 1));
    return isIP(host) === 4 && validPort(port) ? { host, port } : undefined;
  }
  return undefined;
}

function validPort(port: number): boolean {
  return Number.isInteger(port) && port > 0 && port <= 65535;
}

export function targetAddress(target: ForwardTarget): string | undefined {
  if (target.kind !== 'address') return undefined;
  return target.host.includes(':')
    ? `[${target.host}]:${target.port}`
    : `${target.host}:${target.port}`;
}

export function forwardsOf(block: ServerBlock): ForwardConfig[] {
  return block.directives.filter((d) => d.name === 'forward').map(parseForward);
}

/** Addresses the block listens on (`bind`); empty means every address. */
export function bindAddresses(block: ServerBlock): string[] {
  return block.directives
    .filter((d) => d.name === 'bind')
    .flatMap((d) => d.args)
    .filter((a) => a !== 'except');
}

/** Does `name` fall in `zone`? Both normalised with a trailing dot. */
export function inZone(name: string, zone: string): boolean {
  if (zone === '.') return true;
  return name === zone || name.endsWith(`.${zone}`);
}
