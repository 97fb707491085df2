import { randomInt } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { connect } from 'node:net';
import {
  type DecodedPacket,
  decode,
  encode,
  RECURSION_DESIRED,
  type RecordType,
  streamEncode,
} from 'dns-packet';
import type { Clock } from './clock.ts';
import type { DnsServerAddress } from './dns-server-address.ts';

export type AddressRecordType = 'A' | 'AAAA';

export interface DnsReply {
  /** 'NOERROR', 'NXDOMAIN', 'SERVFAIL', 'REFUSED', … */
  rcode: string;
  addresses: string[];
  /** Smallest TTL (seconds) of the answer records, CNAMEs included; undefined without answers. */
  ttl?: number;
}

export interface DnsQueryOptions {
  clock: Clock;
  /** For the whole exchange with this server, a TCP retry after truncation included. */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface DnsExchangeOptions extends DnsQueryOptions {
  /** 'udp' (the default) or 'tcp' only. */
  transport?: 'udp' | 'tcp';
  /** Ask again over TCP when the UDP answer is truncated (default true). */
  retryTruncatedOverTcp?: boolean;
}

/** A DNS exchange that got no usable answer; `code` follows c-ares ('ETIMEOUT', …). */
export class DnsTransportError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'DnsTransportError';
    this.code = code;
  }
}

/**
 * Asks one server for the A or AAAA records of a name over UDP, and again over TCP when the
 * UDP answer is truncated. Each query has a random id and its own socket (a random source
 * port), and replies that do not match id and question are ignored.
 */
export async function queryDns(
  server: DnsServerAddress,
  name: string,
  type: AddressRecordType,
  options: DnsQueryOptions,
): Promise<DnsReply> {
  return readReply(await exchangeDns(server, name, type, options), type);
}

/**
 * One question of any type to one server, answered with the decoded packet: what Ballast's
 * resolver and `ballast doctor` (which reads rcodes and records of every type) share.
 */
export async function exchangeDns(
  server: DnsServerAddress,
  name: string,
  type: RecordType,
  options: DnsExchangeOptions,
): Promise<DecodedPacket> {
  const deadline = options.clock.now() + options.timeoutMs;
  const question = { type, name: name.replace(/\.$/, '') || '.', class: 'IN' as const };
  const query = { type: 'query' as const, id: randomInt(0, 65_536), flags: RECURSION_DESIRED };
  const packet = { ...query, questions: [question] };
  if (options.transport === 'tcp')
    return exchangeTcp(server, streamEncode(packet), packet.id, question.name, options, deadline);
  const reply = await exchangeUdp(
    server,
    encode(packet),
    packet.id,
    question.name,
    options,
    deadline,
  );
  if (reply.flag_tc && options.retryTruncatedOverTcp !== false) {
    return exchangeTcp(server, streamEncode(packet), packet.id, question.name, options, deadline);
  }
  return reply;
}

function readReply(packet: DecodedPacket, type: AddressRecordType): DnsReply {
  // dns-packet decodes the rcode but its type definitions do not list it.
  const rcode = (packet as DecodedPacket & { rcode?: string }).rcode ?? 'NOERROR';
  const answers = packet.answers ?? [];
  const addresses: string[] = [];
  let ttl: number | undefined;
  for (const answer of answers) {
    if (answer.type === 'OPT') continue;
    if ('ttl' in answer && typeof answer.ttl === 'number')
      ttl = Math.min(ttl ?? answer.ttl, answer.ttl);
    if (answer.type === type && typeof answer.data === 'string') addresses.push(answer.data);
  }
  return { rcode, addresses, ttl };
}

function matches(packet: DecodedPacket, id: number, name: string): boolean {
  const question = packet.questions?.[0];
  // The root is '.' in a question and '' once decoded.
  const normal = (text: string) => text.toLowerCase().replace(/^\.$/, '');
  return (
    packet.id === id &&
    packet.flag_qr &&
    question !== undefined &&
    normal(question.name) === normal(name)
  );
}

/** Runs `start` until it settles, the deadline passes (ETIMEOUT) or the signal aborts. */
function bounded<T>(
  options: DnsQueryOptions,
  deadline: number,
  what: string,
  start: (settle: (error: unknown, value?: T) => void) => () => void,
): Promise<T> {
  const { clock, signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const timer = new AbortController();
    let stop = () => {};
    let settled = false;
    const settle = (error: unknown, value?: T) => {
      if (settled) return;
      settled = true;
      timer.abort();
      signal?.removeEventListener('abort', onAbort);
      stop();
      if (error === undefined) resolve(value as T);
      else reject(error);
    };
    const onAbort = () => settle(signal?.reason);
    signal?.addEventListener('abort', onAbort, { once: true });
    clock.sleep(Math.max(0, deadline - clock.now()), timer.signal).then(
      () => settle(new DnsTransportError('ETIMEOUT', `${what}: no answer in time`)),
      () => {},
    );
    const cleanup = start(settle);
    if (settled) cleanup();
    else stop = cleanup;
  });
}

function exchangeUdp(
  server: DnsServerAddress,
  message: Buffer,
  id: number,
  name: string,
  options: DnsQueryOptions,
  deadline: number,
): Promise<DecodedPacket> {
  const what = `DNS query to ${server.host}:${server.port} over UDP`;
  return bounded(options, deadline, what, (settle) => {
    const socket = createSocket(server.family === 6 ? 'udp6' : 'udp4');
    socket.on('error', (error) =>
      settle(
        new DnsTransportError(errorCode(error), `${what}: ${error.message}`, { cause: error }),
      ),
    );
    socket.on('message', (data) => {
      const packet = tryDecode(data);
      if (packet && matches(packet, id, name)) settle(undefined, packet);
    });
    // A connected socket only takes datagrams from that server, and hears ICMP refusals.
    socket.connect(server.port, server.host, () => socket.send(message));
    return () => {
      try {
        socket.close();
      } catch {
        // already closed after an error
      }
    };
  });
}

function exchangeTcp(
  server: DnsServerAddress,
  message: Buffer,
  id: number,
  name: string,
  options: DnsQueryOptions,
  deadline: number,
): Promise<DecodedPacket> {
  const what = `DNS query to ${server.host}:${server.port} over TCP`;
  return bounded(options, deadline, what, (settle) => {
    const socket = connect({ host: server.host, port: server.port });
    let buffered = Buffer.alloc(0);
    socket.on('error', (error) =>
      settle(
        new DnsTransportError(errorCode(error), `${what}: ${error.message}`, { cause: error }),
      ),
    );
    socket.on('connect', () => socket.write(message));
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (buffered.length < 2) return;
      const length = buffered.readUInt16BE(0);
      if (buffered.length < 2 + length) return;
      const packet = tryDecode(buffered.subarray(2, 2 + length));
      if (packet && matches(packet, id, name)) settle(undefined, packet);
      else settle(new DnsTransportError('EBADRESP', `${what}: answer does not match the query`));
    });
    socket.on('end', () => settle(new DnsTransportError('ECONNRESET', `${what}: closed early`)));
    return () => socket.destroy();
  });
}

function tryDecode(data: Buffer): DecodedPacket | undefined {
  try {
    return decode(data);
  } catch {
    return undefined; // garbage on our port is not an answer; keep waiting
  }
}

function errorCode(error: Error): string {
  const code = (error as NodeJS.ErrnoException).code;
  return typeof code === 'string' ? code : 'EIO';
}
