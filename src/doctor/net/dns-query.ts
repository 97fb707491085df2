import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect, isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import {
  type Answer,
  type DecodedPacket,
  decode,
  encode,
  RECURSION_DESIRED,
  type RecordType,
  streamEncode,
} from 'dns-packet';

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

/** One DNS question over UDP or TCP, with a deadline; never throws. */
export function queryDns(query: DnsQuery): Promise<DnsResult> {
  if (!isIP(query.host)) {
    return Promise.resolve({
      status: 'error',
      answers: [],
      latencyMs: 0,
      error: 'not an IP address',
    });
  }
  return query.transport === 'udp' ? queryUdp(query) : queryTcp(query);
}

function packetFor(query: DnsQuery, id: number) {
  return {
    type: 'query' as const,
    id,
    flags: RECURSION_DESIRED,
    questions: [
      { type: query.type, name: query.name.replace(/\.$/, '') || '.', class: 'IN' as const },
    ],
  };
}

function queryUdp(query: DnsQuery): Promise<DnsResult> {
  return new Promise((resolve) => {
    const id = randomInt(0, 65536);
    const socket = createSocket(isIP(query.host) === 6 ? 'udp6' : 'udp4');
    const started = performance.now();
    let done = false;
    const finish = (result: Omit<DnsResult, 'latencyMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.close();
      resolve({ ...result, latencyMs: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => finish({ status: 'timeout', answers: [] }), query.timeoutMs);
    socket.on('error', (error) => finish({ status: 'error', answers: [], error: describe(error) }));
    socket.on('message', (message) => {
      const packet = safeDecode(message);
      // Ignore stray datagrams: only the reply to our question counts.
      if (!packet || packet.id !== id || packet.type !== 'response') return;
      finish(resultOf(packet));
    });
    socket.send(encode(packetFor(query, id)), query.port, query.host, (error) => {
      if (error) finish({ status: 'error', answers: [], error: describe(error) });
    });
  });
}

function queryTcp(query: DnsQuery): Promise<DnsResult> {
  return new Promise((resolve) => {
    const id = randomInt(0, 65536);
    const started = performance.now();
    const socket = connect({ host: query.host, port: query.port });
    let buffered = Buffer.alloc(0);
    let done = false;
    const finish = (result: Omit<DnsResult, 'latencyMs'>) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...result, latencyMs: Math.round(performance.now() - started) });
    };
    const timer = setTimeout(() => finish({ status: 'timeout', answers: [] }), query.timeoutMs);
    socket.on('connect', () => socket.write(streamEncode(packetFor(query, id))));
    socket.on('error', (error) => finish({ status: 'error', answers: [], error: describe(error) }));
    socket.on('close', () =>
      finish({ status: 'error', answers: [], error: 'connection closed without an answer' }),
    );
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      const packet = safeDecode(buffered.subarray(2, 2 + length));
      if (!packet || packet.id !== id) {
        finish({ status: 'error', answers: [], error: 'malformed or mismatched answer' });
        return;
      }
      finish(resultOf(packet));
    });
  });
}

function safeDecode(buffer: Buffer): DecodedPacket | undefined {
  try {
    return decode(buffer);
  } catch {
    return undefined;
  }
}

function resultOf(packet: DecodedPacket): Omit<DnsResult, 'latencyMs'> {
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

function describe(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET') return 'connection reset';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no route to host';
  return code ?? error.message;
}
