import { resolve } from 'node:path';
import { rootCertificates } from 'node:tls';
import { splitHostPort } from '../dns/corefile/forward-config.ts';
import { usageError } from '../doctor-errors.ts';
import type { Finding } from '../findings.ts';
import { readTextFile } from '../input/read-input.ts';
import type { HttpGetOptions } from './http-get.ts';
import {
  chosenAddresses,
  type DnsServer,
  dnsStage,
  type ResolverSet,
  resolveEverywhere,
} from './stage-dns.ts';
import { httpStage } from './stage-http.ts';
import { classicPayloadStage, ociPayloadStage } from './stage-payload.ts';
import { type StageName, type StageResult, skipped, timed } from './stage-result.ts';
import { tcpStage } from './stage-tcp.ts';
import { tlsStage } from './stage-tls.ts';
import { parseUpstreamTarget } from './upstream-target.ts';

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
  kind: 'classic' | 'oci';
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
  const dnsServers = options.dnsServers.map(parseDnsServer);
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

  const stages: StageResult[] = [];
  const dns = await timed(() => dnsStage(target.host, resolvers));
  stages.push(dns);
  const addresses = dns.addresses;
  let address: string | undefined;
  if (addresses.length > 0) {
    const tcp = await timed(() => tcpStage(addresses, target.port, options.timeoutMs));
    stages.push(tcp);
    address = tcp.connected;
  } else stages.push(skipped('tcp', 'no address to connect to'));

  let tlsOk = true;
  if (!target.tls)
    stages.push(skipped('tls', `${target.probeUrl.protocol.replace(':', '')} without TLS`));
  else if (!address) stages.push(skipped('tls', 'no connection'));
  else {
    const connected = address;
    const tls = await timed(() =>
      tlsStage({
        host: target.host,
        address: connected,
        port: target.port,
        ca,
        timeoutMs: options.timeoutMs,
      }),
    );
    stages.push(tls);
    tlsOk = tls.status !== 'fail';
  }

  const getOptions: HttpGetOptions = {
    ca,
    timeoutMs: options.timeoutMs * 6,
    maxBytes: maxBodyBytes,
    addressFor: async (host) =>
      host === target.host ? address : chosenAddresses(await resolveEverywhere(host, resolvers))[0],
  };
  if (address && tlsOk) {
    const http = await timed(() => httpStage(target, getOptions));
    stages.push(stripExtras(http));
    if (http.status === 'fail' || !http.response)
      stages.push(skipped('payload', 'no HTTP answer to read'));
    else if (target.kind === 'classic') {
      const response = http.response;
      stages.push(await timed(async () => classicPayloadStage(response)));
    } else stages.push(await timed(() => ociPayloadStage(target, getOptions, http.authorization)));
  } else {
    stages.push(skipped('http', address ? 'TLS failed' : 'no connection'));
    stages.push(skipped('payload', 'no HTTP answer to read'));
  }

  const report: UpstreamReport = {
    command: 'upstream',
    url: options.url,
    kind: target.kind,
    stages: stages.map(stripExtras),
    findings: stages.flatMap((s) => s.findings),
  };
  const failure = stages.find((s) => s.status === 'fail');
  if (failure)
    report.firstFailure = failure.meaning
      ? { stage: failure.stage, meaning: failure.meaning }
      : { stage: failure.stage };
  return report;
}

function parseDnsServer(text: string): DnsServer {
  const hostPort = splitHostPort(text, 53);
  if (!hostPort) throw usageError(`--dns-server ${text} is not IP or IP:port`);
  return {
    text: hostPort.host.includes(':')
      ? `[${hostPort.host}]:${hostPort.port}`
      : `${hostPort.host}:${hostPort.port}`,
    ...hostPort,
  };
}

/** Keeps only the fields of a StageResult (stages carry working data between them). */
function stripExtras(stage: StageResult): StageResult {
  const { stage: name, status, summary, details, durationMs, meaning, findings } = stage;
  return meaning
    ? { stage: name, status, summary, details, durationMs, meaning, findings }
    : { stage: name, status, summary, details, durationMs, findings };
}
