import type { SourcePosition } from '../../findings.ts';

/** How one C library reads the file: what it will actually use. */
export interface ResolverView {
  nameservers: string[];
  search: string[];
  ndots: number;
  timeout: number;
  attempts: number;
  options: string[];
}

export interface ResolvLine {
  keyword: string;
  values: string[];
  text: string;
  position: SourcePosition;
}

export interface ResolvConf {
  label: string;
  lines: ResolvLine[];
  glibc: ResolverView;
  musl: ResolverView;
  /** Whether the file was given, or assumed from Kubernetes' ClusterFirst defaults. */
  assumed: boolean;
}

/** glibc and musl both keep at most three nameservers (MAXNS). */
export const maxNameservers = 3;
/** musl reads lines into a 256-byte buffer and skips any line that does not fit. */
export const muslMaxLineLength = 254;

/**
 * Parses a resolv.conf twice, as glibc and as musl read it: they differ in caps, in which
 * options they know, and musl ignores overlong lines entirely.
 */
export function parseResolvConf(text: string, label: string): ResolvConf {
  const lines: ResolvLine[] = [];
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '');
    if (/^\s*[#;]/.test(line) || line.trim() === '') return;
    const [keyword = '', ...values] = line.trim().split(/\s+/);
    lines.push({
      keyword,
      values,
      text: line,
      position: { file: label, line: index + 1, column: 1 },
    });
  });
  return {
    label,
    lines,
    glibc: view(lines, { ndots: 15, timeout: 30, attempts: 5, skipLong: false }),
    musl: view(lines, { ndots: 15, timeout: 60, attempts: 10, skipLong: true }),
    assumed: false,
  };
}

/** The resolv.conf kubelet writes for a ClusterFirst pod in namespace `default`. */
export function assumedPodResolvConf(nameserver: string, clusterDomain: string): ResolvConf {
  const domain = clusterDomain.replace(/\.$/, '');
  const text = [
    `search default.svc.${domain} svc.${domain} ${domain}`,
    `nameserver ${nameserver}`,
    'options ndots:5',
  ].join('\n');
  return { ...parseResolvConf(text, '(assumed pod resolv.conf)'), assumed: true };
}

interface Caps {
  ndots: number;
  timeout: number;
  attempts: number;
  skipLong: boolean;
}

function view(lines: readonly ResolvLine[], caps: Caps): ResolverView {
  const result: ResolverView = {
    nameservers: [],
    search: [],
    ndots: 1,
    timeout: 5,
    attempts: 2,
    options: [],
  };
  for (const line of lines) {
    if (caps.skipLong && line.text.length > muslMaxLineLength) continue;
    switch (line.keyword) {
      case 'nameserver':
        if (line.values[0] && result.nameservers.length < maxNameservers) {
          result.nameservers.push(line.values[0]);
        }
        break;
      case 'search':
      case 'domain':
        // The last search or domain line wins, in both libraries.
        result.search = line.keyword === 'domain' ? line.values.slice(0, 1) : [...line.values];
        break;
      case 'options':
        for (const option of line.values) {
          const [name = '', value] = option.split(':');
          const number = value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
          if (name === 'ndots' && number !== undefined) result.ndots = Math.min(number, caps.ndots);
          else if (name === 'timeout' && number !== undefined) {
            result.timeout = Math.min(number, caps.timeout);
          } else if (name === 'attempts' && number !== undefined) {
            result.attempts = Math.min(number, caps.attempts);
          } else result.options.push(option);
        }
        break;
    }
  }
  return result;
}

/** Options musl ignores (it reads only ndots, timeout and attempts). */
export function muslIgnoredOptions(conf: ResolvConf): string[] {
  return conf.glibc.options.filter((o) => !/^(ndots|timeout|attempts):/.test(o));
}
