/** Why a name could not be resolved; the same labels the fault taxonomy uses for metrics. */
export type DnsFailureCause =
  | 'dns-nxdomain'
  | 'dns-nodata'
  | 'dns-servfail'
  | 'dns-refused'
  | 'dns-timeout'
  | 'dns-network'
  | 'dns-eai-again'
  | 'dns-system';

/**
 * A failed resolution, shaped like the errors of Node's `dns.lookup` so that every client
 * (net, undici, the fault taxonomy) handles it as it handles those: `code` is ENOTFOUND
 * when the name does not exist (or has no address), EAI_AGAIN when the answer may come later.
 */
export class DnsLookupError extends Error {
  readonly code: 'ENOTFOUND' | 'EAI_AGAIN';
  readonly syscall = 'getaddrinfo';
  readonly hostname: string;
  readonly dnsCause: DnsFailureCause;

  constructor(
    hostname: string,
    dnsCause: DnsFailureCause,
    detail: string,
    options?: { cause?: unknown },
  ) {
    const code =
      dnsCause === 'dns-nxdomain' || dnsCause === 'dns-nodata' ? 'ENOTFOUND' : 'EAI_AGAIN';
    super(`getaddrinfo ${code} ${hostname} (${detail})`, options);
    this.name = 'DnsLookupError';
    this.code = code;
    this.hostname = hostname;
    this.dnsCause = dnsCause;
  }
}
