import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { decode, encode, streamEncode } from 'dns-packet';
import { queryDns } from '../../src/doctor/net/dns-query.ts';
import { peerBinary } from './debian-peers.ts';
import { withFreePort } from './ports.ts';
import { startProcess } from './processes.ts';
import { removeDir, tempDir } from './temp-dir.ts';

/** A DNS server on a loopback port, as forward targets and resolvers in tests see it. */
export interface TestDnsServer {
  host: '127.0.0.1';
  port: number;
  /** `127.0.0.1:PORT`, as written in a Corefile forward or `--dns-server`. */
  address: string;
  stop(): Promise<void>;
}

export interface Dnsmasq extends TestDnsServer {
  /** Rewrites the --addn-hosts file and sends SIGHUP, which makes dnsmasq re-read it. */
  setHosts(hosts: Record<string, string>): Promise<void>;
  output(): string;
}

export interface DnsmasqOptions {
  /** name → address from a hosts file (--addn-hosts), re-read on SIGHUP. */
  hosts?: Record<string, string>;
  /** `--address=/name/ip`: the name and everything under it answer with this address. */
  addresses?: Record<string, string>;
  /** `--address=/name/`: the name and everything under it answer NXDOMAIN. */
  nxdomain?: string[];
  /**
   * `--local=/zone/`: answer only from local data (NXDOMAIN for unknown names, NODATA for a
   * missing type), like an authoritative server. Without it dnsmasq, which has no upstream
   * here, answers REFUSED for whatever it does not know — which is how a refusing server is made.
   */
  localZones?: string[];
}

/** Real dnsmasq (Debian dnsmasq-base) on 127.0.0.1 and an OS-chosen free port, UDP and TCP. */
export async function startDnsmasq(options: DnsmasqOptions = {}): Promise<Dnsmasq> {
  const binary = peerBinary('dnsmasq');
  const dir = await tempDir('dnsmasq');
  // dnsmasq drops root for `nobody` and re-reads the hosts file as that user on SIGHUP.
  await chmod(dir, 0o755);
  const hostsFile = join(dir, 'hosts');
  const writeHosts = async (hosts: Record<string, string>) => {
    const lines = Object.entries(hosts).map(([name, address]) => `${address} ${name}`);
    await writeFile(hostsFile, `${lines.join('\n')}\n`, { mode: 0o644 });
  };
  await writeHosts(options.hosts ?? {});
  const args = [
    '--keep-in-foreground',
    '--no-resolv',
    '--no-hosts',
    '--conf-file=/dev/null',
    '--pid-file=',
    '--log-facility=-',
    '--listen-address=127.0.0.1',
    '--bind-interfaces',
    `--addn-hosts=${hostsFile}`,
    ...Object.entries(options.addresses ?? {}).map(([name, ip]) => `--address=/${name}/${ip}`),
    ...(options.nxdomain ?? []).map((name) => `--address=/${name}/`),
    ...(options.localZones ?? []).map((zone) => `--local=/${zone}/`),
  ];
  try {
    return await withFreePort(async (port) => {
      const peer = await startProcess(binary, [...args, `--port=${port}`], {
        name: 'dnsmasq',
        readyTimeoutMs: 10_000,
        ready: async () =>
          (
            await queryDns({
              host: '127.0.0.1',
              port,
              name: 'ready.invalid',
              type: 'A',
              transport: 'udp',
              timeoutMs: 200,
            })
          ).status === 'answered',
      });
      const stop = async () => {
        await peer.stop();
        await removeDir(dir);
      };
      return {
        host: '127.0.0.1' as const,
        port,
        address: `127.0.0.1:${port}`,
        output: () => peer.output(),
        async setHosts(hosts) {
          await writeHosts(hosts);
          process.kill(peer.pid, 'SIGHUP');
          // Wait until dnsmasq logged the re-read, bounded.
          const reads = (peer.output().match(/read .*hosts/g) ?? []).length;
          for (
            let i = 0;
            i < 100 && (peer.output().match(/read .*hosts/g) ?? []).length <= reads;
            i++
          ) {
            await new Promise((resolve) => setTimeout(resolve, 20));
          }
        },
        stop,
      };
    });
  } catch (error) {
    await removeDir(dir);
    throw error;
  }
}

/** A DNS server that never answers: a UDP socket that reads and drops, a TCP port that accepts and waits. */
export async function startSilentDnsServer(): Promise<TestDnsServer> {
  return startOnOnePort(() => undefined);
}

/** A tiny responder that answers every question with one rcode (SERVFAIL is hard to get from dnsmasq). */
export async function startRcodeServer(
  rcode: 'SERVFAIL' | 'REFUSED' | 'NXDOMAIN',
): Promise<TestDnsServer> {
  return startOnOnePort((query) => {
    const question = query.questions?.[0];
    return {
      type: 'response',
      id: query.id,
      flags: rcodeFlags[rcode],
      questions: question ? [question] : [],
    };
  });
}

const rcodeFlags = { NXDOMAIN: 3, SERVFAIL: 2, REFUSED: 5 } as const;

/** Answers A questions with `address` over UDP, and never over TCP (a firewall that drops TCP 53). */
export async function startUdpOnlyServer(address: string): Promise<TestDnsServer> {
  return startOnOnePort((query, transport) => {
    const question = query.questions?.[0];
    if (transport === 'tcp' || !question) return undefined;
    const answers =
      question.type === 'A'
        ? [{ type: 'A' as const, name: question.name, ttl: 30, data: address }]
        : [];
    return { type: 'response', id: query.id, flags: 0x8180, questions: [question], answers };
  });
}

type Responder = (
  query: ReturnType<typeof decode>,
  transport: 'udp' | 'tcp',
) => Parameters<typeof encode>[0] | undefined;

async function startOnOnePort(respond: Responder): Promise<TestDnsServer> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const udp = createSocket('udp4');
    await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
    const port = udp.address().port;
    const tcp = createServer();
    const sockets = new Set<Socket>();
    const listening = await new Promise<boolean>((resolve) => {
      tcp.once('error', () => resolve(false));
      tcp.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (!listening) {
      udp.close();
      continue;
    }
    serveUdp(udp, respond);
    tcp.on('connection', (socket) => serveTcp(socket, sockets, respond));
    return {
      host: '127.0.0.1',
      port,
      address: `127.0.0.1:${port}`,
      stop: () => stopBoth(udp, tcp, sockets),
    };
  }
  throw new Error('no port free for UDP and TCP at once after 5 attempts');
}

function serveUdp(udp: UdpSocket, respond: Responder): void {
  udp.on('message', (message, remote) => {
    try {
      const answer = respond(decode(message), 'udp');
      if (answer) udp.send(encode(answer), remote.port, remote.address);
    } catch {
      // Not DNS: drop it, as a server would.
    }
  });
}

function serveTcp(socket: Socket, sockets: Set<Socket>, respond: Responder): void {
  sockets.add(socket);
  socket.on('close', () => sockets.delete(socket));
  socket.on('error', () => socket.destroy());
  let buffered = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    buffered = Buffer.concat([buffered, chunk]);
    if (buffered.length < 2 || buffered.length < 2 + buffered.readUInt16BE(0)) return;
    try {
      const answer = respond(decode(buffered.subarray(2, 2 + buffered.readUInt16BE(0))), 'tcp');
      if (answer) socket.write(streamEncode(answer));
    } catch {
      socket.destroy();
    }
    buffered = Buffer.alloc(0);
  });
}

async function stopBoth(udp: UdpSocket, tcp: Server, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => tcp.close(() => resolve()));
  await new Promise<void>((resolve) => udp.close(() => resolve()));
}
