import { checkServerIdentity, connect, type DetailedPeerCertificate } from 'node:tls';
import { type Finding, finding } from '../findings.ts';
import type { StageResult } from './stage-result.ts';
import { statusOf } from './stage-result.ts';
import { isIpLiteral } from './upstream-target.ts';

/** Certificates that expire sooner than this are worth a warning, unless told otherwise. */
const defaultExpiryWarningDays = 14;

export interface TlsOptions {
  host: string;
  address: string;
  port: number;
  /** Trusted CAs: the system roots plus --ca-file; undefined means Node's defaults. */
  ca?: string[];
  timeoutMs: number;
  now?: Date;
  /** Warn this many days before expiry (probes take `alerts.certExpiry`). */
  expiryWarningDays?: number;
}

export type TlsStageResult = Omit<StageResult, 'durationMs'> & {
  /** notAfter of the leaf certificate, ms since the epoch. */
  expiresAt?: number;
};

/** Handshakes without rejecting, then judges chain, expiry and name one by one. */
export async function tlsStage(options: TlsOptions): Promise<TlsStageResult> {
  const outcome = await handshake(options);
  if ('problem' in outcome) {
    return {
      stage: 'tls',
      status: 'fail',
      summary: 'no TLS handshake',
      details: [outcome.problem],
      findings: [
        finding(
          'upstream-tls-untrusted',
          `TLS handshake with ${options.host} failed: ${outcome.problem}`,
        ),
      ],
      meaning:
        'the server does not speak TLS on this port (plain HTTP?), or it offers no protocol or cipher in common',
    };
  }
  const { certificate, authorizationError, protocol } = outcome;
  const now = options.now ?? new Date();
  const findings: Finding[] = [];
  const meanings: string[] = [];
  const validTo = new Date(certificate.valid_to);
  const validFrom = new Date(certificate.valid_from);
  const daysLeft = Math.floor((validTo.getTime() - now.getTime()) / 86_400_000);
  if (validTo < now) {
    findings.push(
      finding(
        'upstream-tls-expired',
        `certificate of ${options.host} expired on ${validTo.toISOString()}`,
      ),
    );
    meanings.push('an expired certificate: clients refuse it until the upstream renews it');
  } else if (validFrom > now) {
    findings.push(
      finding(
        'upstream-tls-untrusted',
        `certificate of ${options.host} is not valid before ${validFrom.toISOString()}`,
      ),
    );
    meanings.push(
      'a certificate from the future: the clock of the server or of this machine is wrong',
    );
  } else if (daysLeft < (options.expiryWarningDays ?? defaultExpiryWarningDays)) {
    findings.push(
      finding(
        'upstream-tls-expiring',
        `certificate of ${options.host} expires in ${daysLeft} days (${validTo.toISOString()})`,
      ),
    );
  }
  const nameError = checkServerIdentity(options.host, certificate);
  if (nameError) {
    findings.push(
      finding(
        'upstream-tls-name-mismatch',
        `certificate does not name ${options.host}: ${nameError.message}`,
      ),
    );
    meanings.push(
      'the certificate is for another name: a wrong URL, or a proxy or CDN answering with its own certificate',
    );
  }
  const chainError =
    authorizationError && !/EXPIRED|ALTNAME|NOT_YET_VALID/.test(authorizationError)
      ? authorizationError
      : undefined;
  if (chainError) {
    findings.push(
      finding(
        'upstream-tls-untrusted',
        `certificate chain of ${options.host} is not trusted: ${chainError}`,
      ),
    );
    meanings.push(
      /SELF_SIGNED/.test(chainError)
        ? 'a self-signed certificate: trust its CA with --ca-file (and in Ballast), or serve one from a public CA'
        : 'the chain does not lead to a trusted CA: a missing intermediate certificate, or a private CA not given with --ca-file',
    );
  }
  const details = [
    `protocol ${protocol ?? 'unknown'}`,
    `subject ${commonName(certificate.subject)}, issuer ${commonName(certificate.issuer)}`,
    `valid ${validFrom.toISOString()} to ${validTo.toISOString()} (${daysLeft} days left)`,
    `names ${certificate.subjectaltname ?? '(no subjectAltName)'}`,
    `chain ${chainOf(certificate).join(' <- ')}`,
  ];
  const result = {
    stage: 'tls' as const,
    status: statusOf(findings),
    summary:
      findings.length === 0
        ? `trusted certificate for ${options.host}, ${daysLeft} days left`
        : findings.map((f) => f.message).join('; '),
    details,
    findings,
    expiresAt: validTo.getTime(),
  };
  return meanings.length > 0 ? { ...result, meaning: meanings.join('; ') } : result;
}

type Handshake =
  | { certificate: DetailedPeerCertificate; authorizationError?: string; protocol: string | null }
  | { problem: string };

function handshake(options: TlsOptions): Promise<Handshake> {
  return new Promise((resolve) => {
    const socket = connect({
      host: options.address,
      port: options.port,
      servername: isIpLiteral(options.host) ? undefined : options.host,
      ca: options.ca,
      rejectUnauthorized: false,
      // Identity is judged below, so the handshake itself must not stop at a wrong name.
      checkServerIdentity: () => undefined,
    });
    const finish = (value: Handshake) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(value);
    };
    const timer = setTimeout(
      () => finish({ problem: `no handshake within ${options.timeoutMs} ms` }),
      options.timeoutMs,
    );
    socket.once('secureConnect', () => {
      const certificate = socket.getPeerCertificate(true);
      if (!certificate || Object.keys(certificate).length === 0) {
        finish({ problem: 'the server sent no certificate' });
        return;
      }
      const error = socket.authorizationError;
      const value: Handshake = { certificate, protocol: socket.getProtocol() };
      if (error)
        value.authorizationError =
          typeof error === 'string'
            ? error
            : ((error as NodeJS.ErrnoException).code ?? String(error));
      finish(value);
    });
    socket.once('error', (error: NodeJS.ErrnoException) =>
      finish({ problem: error.code ?? error.message }),
    );
  });
}

function chainOf(certificate: DetailedPeerCertificate): string[] {
  const names: string[] = [];
  let current: DetailedPeerCertificate | undefined = certificate;
  for (let i = 0; current && i < 10; i++) {
    names.push(commonName(current.subject));
    if (!current.issuerCertificate || current.issuerCertificate === current) break;
    current = current.issuerCertificate;
  }
  return names;
}

function commonName(name: { CN?: string | string[] } | undefined): string {
  const cn = name?.CN;
  return Array.isArray(cn) ? cn.join(', ') : (cn ?? '(no CN)');
}
