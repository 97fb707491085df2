import { lookup } from 'node:dns/promises';
import { type Finding, finding } from '../findings.ts';
import { addressesOf, type DnsResult, queryDns } from '../net/dns-query.ts';
import type { StageResult } from './stage-result.ts';
import { statusOf } from './stage-result.ts';
import { isIpLiteral } from './upstream-target.ts';

export interface DnsServer {
  text: string;
  host: string;
  port: number;
}

export interface ResolverAnswer {
  resolver: string;
  addresses: string[];
  /** Why this resolver gave no address. */
  problem?: string;
}

export interface ResolverSet {
  systemResolver: boolean;
  dnsServers: readonly DnsServer[];
  timeoutMs: number;
}

/** Asks every configured resolver for `host` separately, so one bad server cannot hide. */
export async function resolveEverywhere(
  host: string,
  resolvers: ResolverSet,
): Promise<ResolverAnswer[]> {
  const answers: Promise<ResolverAnswer>[] = [];
  if (resolvers.systemResolver) answers.push(systemLookup(host, resolvers.timeoutMs));
  for (const server of resolvers.dnsServers)
    answers.push(serverLookup(host, server, resolvers.timeoutMs));
  return Promise.all(answers);
}

/** The addresses to connect to: the first resolver that has some, in its order. */
export function chosenAddresses(answers: readonly ResolverAnswer[]): string[] {
  return answers.find((a) => a.addresses.length > 0)?.addresses ?? [];
}

export async function dnsStage(
  host: string,
  resolvers: ResolverSet,
): Promise<Omit<StageResult, 'durationMs'> & { addresses: string[] }> {
  if (isIpLiteral(host)) {
    return {
      stage: 'dns',
      status: 'ok',
      summary: `${host} is an IP address; nothing to resolve`,
      details: [],
      findings: [],
      addresses: [host],
    };
  }
  if (!resolvers.systemResolver && resolvers.dnsServers.length === 0) {
    return {
      stage: 'dns',
      status: 'fail',
      summary: 'no resolver to ask',
      details: [],
      findings: [
        finding(
          'upstream-dns-failed',
          `${host}: no resolver to ask (--no-system-resolver without --dns-server)`,
        ),
      ],
      addresses: [],
    };
  }
  const answers = await resolveEverywhere(host, resolvers);
  const details = answers.map(
    (a) => `${a.resolver}: ${a.addresses.length > 0 ? a.addresses.join(' ') : a.problem}`,
  );
  const findings: Finding[] = [];
  const working = answers.filter((a) => a.addresses.length > 0);
  let meaning: string | undefined;
  if (working.length === 0) {
    findings.push(
      finding('upstream-dns-failed', `${host} does not resolve: ${details.join('; ')}`),
    );
    meaning = meaningOf(answers);
  } else {
    for (const failed of answers.filter((a) => a.addresses.length === 0)) {
      findings.push(
        finding(
          'upstream-resolver-failed',
          `${failed.resolver} gives no address for ${host} (${failed.problem}) while ${working[0]?.resolver} does`,
        ),
      );
    }
    const sets = new Set(working.map((a) => [...a.addresses].sort().join(' ')));
    if (sets.size > 1) {
      findings.push(
        finding(
          'upstream-dns-disagree',
          `resolvers disagree on ${host}: ${working.map((a) => `${a.resolver} → ${a.addresses.join(' ')}`).join('; ')}`,
        ),
      );
      meaning =
        'resolvers that disagree usually mean stale records somewhere: a forgotten stub zone, a split-horizon view or a cache that outlived a change';
    }
  }
  const addresses = chosenAddresses(answers);
  const summary =
    addresses.length > 0 ? `${host} → ${addresses.join(' ')}` : `${host} does not resolve`;
  const result = {
    stage: 'dns' as const,
    status: statusOf(findings),
    summary,
    details,
    findings,
    addresses,
  };
  return meaning ? { ...result, meaning } : result;
}

function meaningOf(answers: readonly ResolverAnswer[]): string {
  const problems = answers.map((a) => a.problem ?? '').join(' ');
  if (/NXDOMAIN|does not exist/.test(problems)) {
    return 'the name does not exist (NXDOMAIN): the record was removed or the name is misspelt; a warm Ballast keeps serving from its last known addresses (incident A)';
  }
  if (/timeout|SERVFAIL|temporary/.test(problems)) {
    return 'the resolvers could not get an answer (timeout or SERVFAIL): a DNS outage or an unreachable resolver; Ballast retries these as transient';
  }
  if (/REFUSED/.test(problems))
    return 'the resolver refuses to answer for this name: it is not allowed to recurse for you';
  return 'no resolver returned an address for this name';
}

async function systemLookup(host: string, timeoutMs: number): Promise<ResolverAnswer> {
  const resolver = 'system resolver';
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(Object.assign(new Error('timeout'), { code: 'ETIMEOUT' })),
      timeoutMs,
    );
  });
  try {
    const found = await Promise.race([lookup(host, { all: true, order: 'verbatim' }), deadline]);
    return { resolver, addresses: found.map((a) => a.address) };
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const problem =
      code === 'ENOTFOUND'
        ? 'does not exist (NXDOMAIN or no address)'
        : code === 'EAI_AGAIN'
          ? 'temporary failure (SERVFAIL or timeout)'
          : code === 'ETIMEOUT'
            ? `timeout after ${timeoutMs} ms`
            : String(code ?? error);
    return { resolver, addresses: [], problem };
  } finally {
    clearTimeout(timer);
  }
}

async function serverLookup(
  host: string,
  server: DnsServer,
  timeoutMs: number,
): Promise<ResolverAnswer> {
  const ask = async (type: 'A' | 'AAAA'): Promise<DnsResult> => {
    const udp = await queryDns({
      host: server.host,
      port: server.port,
      name: host,
      type,
      transport: 'udp',
      timeoutMs,
    });
    if (!udp.truncated) return udp;
    return queryDns({
      host: server.host,
      port: server.port,
      name: host,
      type,
      transport: 'tcp',
      timeoutMs,
    });
  };
  const [a, aaaa] = await Promise.all([ask('A'), ask('AAAA')]);
  const addresses = [...addressesOf(a), ...addressesOf(aaaa)];
  if (addresses.length > 0) return { resolver: server.text, addresses };
  const why = (r: DnsResult) =>
    r.status === 'answered'
      ? r.rcode === 'NOERROR'
        ? 'no records'
        : (r.rcode ?? '')
      : r.status === 'timeout'
        ? 'timeout'
        : (r.error ?? 'error');
  const problem = why(a) === why(aaaa) ? why(a) : `A: ${why(a)}, AAAA: ${why(aaaa)}`;
  return {
    resolver: server.text,
    addresses: [],
    problem: problem === 'NXDOMAIN' ? 'NXDOMAIN (does not exist)' : problem,
  };
}
