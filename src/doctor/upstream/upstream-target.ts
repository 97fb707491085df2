import { isIP } from 'node:net';
import { usageError } from '../doctor-errors.ts';

/** What `doctor upstream` checks, read from the URL the user gave. */
export interface UpstreamTarget {
  url: string;
  /** 'file' only comes from probes of file mirrors: there is no index to read. */
  kind: 'classic' | 'oci' | 'file';
  /** Whether the wire speaks TLS (https://, or oci:// without --plain-http). */
  tls: boolean;
  /** Host name as written, without brackets for IPv6. */
  host: string;
  port: number;
  /** The URL the HTTP stage fetches: index.yaml for a classic repository, /v2/ for OCI. */
  probeUrl: URL;
  /** OCI repository path (namespace/chart) whose tags the payload stage lists. */
  repository?: string;
  /** file mirrors: the URL of a file every upstream has, which the payload stage HEADs. */
  fileUrl?: URL;
  /** OCI: `Basic …` for the registry's token service, from the upstream's credentials. */
  basicAuth?: string;
}

/** A file mirror's upstream: the folder must answer HTTP, and `fileUrl` (if any) exist. */
export function fileUpstreamTarget(text: string, fileUrl?: URL): UpstreamTarget {
  const url = new URL(text);
  const tls = url.protocol === 'https:';
  const target: UpstreamTarget = {
    url: text,
    kind: 'file',
    tls,
    host: url.hostname.replace(/^\[|\]$/g, ''),
    port: url.port ? Number(url.port) : tls ? 443 : 80,
    probeUrl: url,
  };
  if (fileUrl) target.fileUrl = fileUrl;
  return target;
}

export function parseUpstreamTarget(
  text: string,
  options: { chart?: string; plainHttp?: boolean },
): UpstreamTarget {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usageError(`${text} is not a URL; expected https://…, http://… or oci://…`);
  }
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  if (hostname === '') throw usageError(`${text} names no host`);
  if (url.protocol === 'http:' || url.protocol === 'https:') {
    const tls = url.protocol === 'https:';
    return {
      url: text,
      kind: 'classic',
      tls,
      host: hostname,
      port: url.port ? Number(url.port) : tls ? 443 : 80,
      probeUrl: indexUrlOf(url),
    };
  }
  if (url.protocol === 'oci:') {
    const tls = options.plainHttp !== true;
    const path = url.pathname.replace(/^\/+|\/+$/g, '');
    const repository = [path, options.chart].filter((p) => p && p !== '').join('/');
    if (repository === '') {
      throw usageError(
        `${text} names no repository; write oci://registry/namespace/chart or add --chart`,
      );
    }
    const base = new URL(`${tls ? 'https' : 'http'}://${url.host}/v2/`);
    return {
      url: text,
      kind: 'oci',
      tls,
      host: hostname,
      port: url.port ? Number(url.port) : tls ? 443 : 80,
      probeUrl: base,
      repository,
    };
  }
  throw usageError(`${text}: only http://, https:// and oci:// upstreams can be checked`);
}

/**
 * Helm fetches `<repo>/index.yaml` with a trailing slash forced on the repository URL and
 * its query string kept; a URL that already names a .yaml/.json file is fetched as it is.
 */
export function indexUrlOf(url: URL): URL {
  const result = new URL(url.href);
  if (/\.(ya?ml|json)$/i.test(result.pathname)) return result;
  result.pathname = `${result.pathname.replace(/\/?$/, '/')}index.yaml`;
  return result;
}

export function isIpLiteral(host: string): boolean {
  return isIP(host) !== 0;
}
