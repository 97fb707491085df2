import type { HttpGetOptions } from './http-get.ts';
import { chosenAddresses, dnsStage, type ResolverSet, resolveEverywhere } from './stage-dns.ts';
import { filePayloadStage } from './stage-file.ts';
import { httpStage } from './stage-http.ts';
import { classicPayloadStage, ociPayloadStage, type PreviousIndex } from './stage-payload.ts';
import { type StageResult, skipped, stripExtras, timed } from './stage-result.ts';
import { tcpStage } from './stage-tcp.ts';
import { tlsStage } from './stage-tls.ts';
import type { UpstreamTarget } from './upstream-target.ts';

export interface StageSettings {
  resolvers: ResolverSet;
  /** Trusted CAs; undefined means Node's defaults, as for every other upstream request. */
  ca?: string[];
  /** Per stage; the HTTP stages get several times this (a large index takes a while). */
  timeoutMs: number;
  maxBodyBytes: number;
  maxRedirects?: number;
  userAgent?: string;
  expiryWarningDays?: number;
  /** Validators of the last index seen, sent as a conditional GET so an unchanged one is tiny. */
  conditional?: { etag?: string; lastModified?: string };
  previous?: PreviousIndex;
}

export interface StagesOutcome {
  stages: StageResult[];
  /** notAfter of the upstream's certificate (ms since the epoch), when TLS got that far. */
  certificateExpiresAt?: number;
  /** Chart versions of the index read (classic), for the next probe's shrink check. */
  versions?: number;
  validators?: { etag?: string; lastModified?: string };
}

/**
 * DNS, TCP, TLS, HTTP and payload, each judged on its own and each skipped when an earlier
 * one leaves nothing to check. `ballast doctor upstream` runs this once; `serve` probes run it
 * on an interval, so both say the same thing about the same upstream.
 */
export async function runStages(
  target: UpstreamTarget,
  settings: StageSettings,
): Promise<StagesOutcome> {
  const { resolvers, timeoutMs } = settings;
  const outcome: StagesOutcome = { stages: [] };
  const stages = outcome.stages;
  const dns = await timed(() => dnsStage(target.host, resolvers));
  stages.push(dns);
  const addresses = dns.addresses;
  let address: string | undefined;
  if (addresses.length > 0) {
    const tcp = await timed(() => tcpStage(addresses, target.port, timeoutMs));
    stages.push(tcp);
    address = tcp.connected;
  } else stages.push(skipped('tcp', 'no address to connect to'));

  let tlsOk = true;
  if (!target.tls)
    stages.push(skipped('tls', `${target.probeUrl.protocol.replace(':', '')} without TLS`));
  else if (!address) stages.push(skipped('tls', 'no connection'));
  else {
    const tls = await timed(() =>
      tlsStage({
        host: target.host,
        address: address as string,
        port: target.port,
        ca: settings.ca,
        timeoutMs,
        ...(settings.expiryWarningDays === undefined
          ? {}
          : { expiryWarningDays: settings.expiryWarningDays }),
      }),
    );
    stages.push(tls);
    tlsOk = tls.status !== 'fail';
    if (tls.expiresAt !== undefined) outcome.certificateExpiresAt = tls.expiresAt;
  }

  if (!address || !tlsOk) {
    stages.push(skipped('http', address ? 'TLS failed' : 'no connection'));
    stages.push(skipped('payload', 'no HTTP answer to read'));
    outcome.stages = stages.map(stripExtras);
    return outcome;
  }
  const getOptions: HttpGetOptions = {
    ca: settings.ca,
    timeoutMs: timeoutMs * 6,
    maxBytes: settings.maxBodyBytes,
    addressFor: async (host) =>
      host === target.host ? address : chosenAddresses(await resolveEverywhere(host, resolvers))[0],
  };
  if (settings.maxRedirects !== undefined) getOptions.maxRedirects = settings.maxRedirects;
  if (settings.userAgent) getOptions.userAgent = settings.userAgent;
  const conditional = target.kind === 'classic' ? conditionalHeaders(settings) : undefined;
  const http = await timed(() =>
    httpStage(target, conditional ? { ...getOptions, headers: conditional } : getOptions),
  );
  stages.push(http);
  const response = http.response;
  if (http.status === 'fail' || !response) {
    stages.push(skipped('payload', 'no HTTP answer to read'));
  } else if (target.kind === 'classic') {
    const payload = await timed(async () => classicPayloadStage(response, settings.previous));
    stages.push(payload);
    if (payload.versions !== undefined) outcome.versions = payload.versions;
    outcome.validators = {
      ...(response.headers.etag ? { etag: response.headers.etag } : {}),
      ...(response.headers['last-modified']
        ? { lastModified: response.headers['last-modified'] }
        : {}),
    };
  } else if (target.kind === 'oci') {
    stages.push(await timed(() => ociPayloadStage(target, getOptions, http.authorization)));
  } else if (target.fileUrl) {
    const fileUrl = target.fileUrl;
    stages.push(await timed(() => filePayloadStage(fileUrl, getOptions)));
  } else stages.push(skipped('payload', 'no probe path configured'));
  outcome.stages = stages.map(stripExtras);
  return outcome;
}

function conditionalHeaders(settings: StageSettings): Record<string, string> | undefined {
  // Without a previous index a 304 would leave nothing to judge the payload by.
  if (!settings.previous || !settings.conditional) return undefined;
  const headers: Record<string, string> = {};
  if (settings.conditional.etag) headers['if-none-match'] = settings.conditional.etag;
  if (settings.conditional.lastModified)
    headers['if-modified-since'] = settings.conditional.lastModified;
  return Object.keys(headers).length > 0 ? headers : undefined;
}
