import { resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import {
  type DnsServerAddress,
  formatDnsServer,
  parseDnsServer,
} from '../../resilience/dns-server-address.ts';
import { usageError } from '../doctor-errors.ts';
import type { Finding } from '../findings.ts';
import { readTextFile } from '../input/read-input.ts';
import { runStages } from './run-stages.ts';
import type { DnsServer, ResolverSet } from './stage-dns.ts';
import type { StageName, StageResult } from './stage-result.ts';
import { parseUpstreamTarget, type UpstreamTarget } from './upstream-target.ts';

export interface DoctorUpstreamOptions {
  url: string;
  dnsServers: string[];
  systemResolver: boolean;
  caFile?: string;
  chart?: string;
  plainHttp: boolean;
  timeoutMs: number;
}

export interface UpstreamReport {
  command: 'upstream';
  url: string;
  kind: UpstreamTarget['kind'];
  stages: StageResult[];
  /** The first stage that failed, and what that usually means. */
  firstFailure?: { stage: StageName; meaning?: string };
  findings: Finding[];
}

/** Public indexes reach tens of MB; this leaves room without letting a runaway body fill memory. */
const maxBodyBytes = 256 * 1024 * 1024;

/** `ballast doctor upstream URL`: DNS, TCP, TLS, HTTP and payload, each judged on its own. */
export async function runDoctorUpstream(
  options: DoctorUpstreamOptions,
  context: { cwd: string },
): Promise<UpstreamReport> {
  const target = parseUpstreamTarget(options.url, {
    chart: options.chart,
    plainHttp: options.plainHttp,
  });
  const dnsServers = options.dnsServers.map(dnsServerOption);
  let ca: string[] | undefined;
  if (options.caFile)
    ca = [
      ...rootCertificates,
      readTextFile(resolve(context.cwd, options.caFile), options.caFile).text,
    ];
  const resolvers: ResolverSet = {
    systemResolver: options.systemResolver,
    dnsServers,
    timeoutMs: options.timeoutMs,
  };

  const { stages } = await runStages(target, {
    resolvers,
    ca,
    timeoutMs: options.timeoutMs,
    maxBodyBytes,
  });

  const report: UpstreamReport = {
    command: 'upstream',
    url: options.url,
    kind: target.kind,
    stages,
    findings: stages.flatMap((s) => s.findings),
  };
  const failure = stages.find((s) => s.status === 'fail');
  if (failure)
    report.firstFailure = failure.meaning
      ? { stage: failure.stage, meaning: failure.meaning }
      : { stage: failure.stage };
  return report;
}

/** The same reading of `IP[:port]` as `resolver.servers`. */
function dnsServerOption(text: string): DnsServer {
  let server: DnsServerAddress;
  try {
    server = parseDnsServer(text);
  } catch {
    throw usageError(`--dns-server ${text} is not IP or IP:port`);
  }
  return { text: formatDnsServer(server), host: server.host, port: server.port };
}
