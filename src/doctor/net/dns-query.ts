import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { Answer, DecodedPacket, RecordType } from 'dns-packet';
import { createSystemClock } from '../../resilience/clock.ts';
import { DnsTransportError, exchangeDns } from '../../resilience/dns-wire-client.ts';

export type DnsTransport = 'udp' | 'tcp';

export interface DnsQuery {
  /** An IP address: the doctor never asks a resolver to find the resolver. */
  host: string;
  port: number;
  name: string;
  type: RecordType;
  transport: DnsTransport;
  timeoutMs: number;
}

export interface DnsResult {
  status: 'answered' | 'timeout' | 'error';
  /** NOERROR, NXDOMAIN, SERVFAIL, REFUSED, … when the server answered. */
  rcode?: string;
  /** Answer records as `TYPE data`, e.g. `A 10.0.0.9`, in the order given. */
  answers: string[];
  latencyMs: number;
  truncated?: boolean;
  /** Why there is no answer (connection refused, …). */
  error?: string;
}

const clock = createSystemClock();

/**
 * One DNS question over UDP or TCP, with a deadline; never throws. The wire exchange is
 * Ballast's own resolver client: the doctor only turns its outcome into a report, and sees
 * a truncated UDP answer as it is (it asks over TCP itself when it wants to).
 */
export async function queryDns(query: DnsQuery): Promise<DnsResult> {
  const family = isIP(query.host);
  if (family !== 4 && family !== 6) {
    return { status: 'error', answers: [], latencyMs: 0, error: 'not an IP address' };
  }
  const started = performance.now();
  const latencyMs = () => Math.round(performance.now() - started);
  try {
    const packet = await exchangeDns(
      { host: query.host, port: query.port, family },
      query.name,
      query.type,
      {
        clock,
        timeoutMs: query.timeoutMs,
        transport: query.transport,
        retryTruncatedOverTcp: false,
      },
    );
    return { ...resultOf(packet), latencyMs: latencyMs() };
  } catch (error) {
    const code = error instanceof DnsTransportError ? error.code : undefined;
    if (code === 'ETIMEOUT') return { status: 'timeout', answers: [], latencyMs: latencyMs() };
    return { status: 'error', answers: [], latencyMs: latencyMs(), error: describe(code, error) };
  }
}

function resultOf(packet: DecodedPacket): Omit<DnsResult, 'latencyMs'> {
  // dns-packet decodes the rcode but its type definitions do not list it.
  const rcode = (packet as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR';
  const result: Omit<DnsResult, 'latencyMs'> = {
    status: 'answered',
    rcode,
    answers: (packet.answers ?? []).map(formatAnswer),
  };
  if (packet.flag_tc) result.truncated = true;
  return result;
}

export function formatAnswer(answer: Answer): string {
  const data = 'data' in answer ? answer.data : undefined;
  if (typeof data === 'string') return `${answer.type} ${data}`;
  return answer.type;
}

/** The A/AAAA addresses of a result, sorted, for comparing servers. */
export function addressesOf(result: DnsResult): string[] {
  return result.answers
    .filter((a) => a.startsWith('A ') || a.startsWith('AAAA '))
    .map((a) => a.slice(a.indexOf(' ') + 1))
    .sort();
}

function describe(code: string | undefined, error: unknown): string {
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection closed without an answer';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no route to host';
  if (code === 'EBADRESP') return 'malformed or mismatched answer';
  return code ?? (error instanceof Error ? error.message : String(error));
}
