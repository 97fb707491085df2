import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { once } from 'node:events';
import { chmod, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { createSystemClock } from '../src/resilience/clock.ts';
import { DnsLookupError } from '../src/resilience/dns-lookup-error.ts';
import {
  createResolver,
  lookupWithSystem,
  type ResolverOptions,
} from '../src/resilience/dns-resolver.ts';
import { parseDnsServer } from '../src/resilience/dns-server-address.ts';
import { queryDns } from '../src/resilience/dns-wire-client.ts';
import { withRetry } from '../src/resilience/retry.ts';
import { peerBinary } from './support/debian-peers.ts';
import { withFreePort } from './support/ports.ts';
import { type RunningProcess, startProcess } from './support/processes.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

const clock = createSystemClock();
const ttlSeconds = 1;

/**
 * Real dnsmasq on a loopback port, answering only from a hosts file this test rewrites:
 * names in `ballast.test` that are not in the file get NXDOMAIN.
 */
interface Dnsmasq {
  server: string;
  /** Sets or (with undefined) removes a name, and waits until dnsmasq answers accordingly. */
  set(name: string, address: string | undefined): Promise<void>;
}

let dnsmasq: Dnsmasq;
let process_: RunningProcess | undefined;
let dir = '';

before(async () => {
  const binary = peerBinary('dnsmasq');
  dir = await tempDir('resilience-dns');
  await chmod(dir, 0o755); // dnsmasq drops to nobody and re-reads the file on SIGHUP
  const hostsFile = join(dir, 'hosts');
  const names = new Map<string, string>();
  const writeHosts = async () => {
    const lines = [...names].map(([name, address]) => `${address} ${name}\n`);
    await writeFile(hostsFile, lines.join(''), { mode: 0o644 });
  };
  await writeHosts();
  let port = 0;
  process_ = await withFreePort(async (chosen) => {
    port = chosen;
    const args = [
      '--keep-in-foreground',
      '--conf-file=/dev/null',
      '--pid-file=',
      '--no-resolv',
      '--no-hosts',
      `--port=${chosen}`,
      '--listen-address=127.0.0.1',
      '--bind-interfaces',
      `--addn-hosts=${hostsFile}`,
      '--local=/ballast.test/',
      `--local-ttl=${ttlSeconds}`,
      '--log-facility=-',
    ];
    const started = await startProcess(binary, args, {
      ready: async () => (await ask(`127.0.0.1:${chosen}`, 'ready.ballast.test')) === 'NXDOMAIN',
      readyTimeoutMs: 10_000,
    });
    return started;
  });
  const server = `127.0.0.1:${port}`;
  dnsmasq = {
    server,
    async set(name, address) {
      if (address) names.set(name, address);
      else names.delete(name);
      await writeHosts();
      process.kill(process_?.pid ?? 0, 'SIGHUP');
      const expected = address ?? 'NXDOMAIN';
      for (let i = 0; i < 100; i++) {
        if ((await ask(server, name)) === expected) return;
        await sleep(20);
      }
      throw new Error(`dnsmasq did not pick up ${name} → ${expected}\n${process_?.output()}`);
    },
  };
});

after(async () => {
  await process_?.stop();
  await removeDir(dir);
});

/** The first A record dnsmasq gives for a name, or its rcode. */
async function ask(server: string, name: string): Promise<string> {
  const reply = await queryDns(parseDnsServer(server), name, 'A', { clock, timeoutMs: 500 });
  return reply.addresses[0] ?? reply.rcode;
}

function resolverFor(extra: Partial<ResolverOptions> = {}) {
  return createResolver({
    servers: [dnsmasq.server],
    staleFor: 60_000,
    timeoutMs: 500,
    clock,
    ...extra,
  });
}

describe('Ballast resolver against real dnsmasq', () => {
  it('caches an answer for its TTL, then asks again', async () => {
    await dnsmasq.set('cached.ballast.test', '127.0.0.5');
    const resolver = resolverFor();
    const first = await resolver.resolve('cached.ballast.test');
    const at = clock.now();
    assert.deepEqual(first, {
      addresses: [{ address: '127.0.0.5', family: 4 }],
      stale: false,
      source: 'dns',
    });
    await dnsmasq.set('cached.ballast.test', '127.0.0.6');
    const cached = await resolver.resolve('cached.ballast.test');
    assert.ok(clock.now() - at < ttlSeconds * 1000, 'the hosts update took longer than the TTL');
    assert.deepEqual([cached.source, cached.addresses[0]?.address], ['cache', '127.0.0.5']);
    await sleep(ttlSeconds * 1000 + 50 - (clock.now() - at));
    const renewed = await resolver.resolve('cached.ballast.test');
    assert.deepEqual([renewed.source, renewed.addresses[0]?.address], ['dns', '127.0.0.6']);
  });

  it('serves the last known address while the name answers NXDOMAIN, until staleFor', async () => {
    await dnsmasq.set('vanishing.ballast.test', '127.0.0.7');
    const resolver = resolverFor({ staleFor: 2_500 });
    await resolver.resolve('vanishing.ballast.test');
    const at = clock.now();
    await dnsmasq.set('vanishing.ballast.test', undefined);
    await sleep(ttlSeconds * 1000 + 50 - (clock.now() - at));
    assert.deepEqual(await resolver.resolve('vanishing.ballast.test'), {
      addresses: [{ address: '127.0.0.7', family: 4 }],
      stale: true,
      source: 'stale',
    });
    await sleep(2_600 - (clock.now() - at));
    await assert.rejects(
      resolver.resolve('vanishing.ballast.test'),
      (e) => e instanceof DnsLookupError && e.code === 'ENOTFOUND' && e.dnsCause === 'dns-nxdomain',
    );
  });

  it('a name that starts resolving after a few seconds resolves inside the retry deadline', async () => {
    await dnsmasq.set('late.ballast.test', undefined);
    const resolver = resolverFor();
    const causes: string[] = [];
    const startedAt = clock.now();
    const appear = sleep(2_000).then(() => dnsmasq.set('late.ballast.test', '127.0.0.8'));
    const resolved = await withRetry(() => resolver.resolve('late.ballast.test'), {
      clock,
      deadline: startedAt + 8_000,
      policy: { maxAttempts: 100, baseDelayMs: 100, maxDelayMs: 300 },
      onRetry: (notice) => causes.push(notice.cause),
    });
    await appear;
    const elapsed = clock.now() - startedAt;
    assert.equal(resolved.addresses[0]?.address, '127.0.0.8');
    assert.ok(elapsed >= 2_000 && elapsed < 5_000, `resolved after ${elapsed} ms`);
    assert.ok(causes.length > 0 && causes.every((cause) => cause === 'dns-nxdomain'));
  });

  it('a silent server times out within timeoutMs and the next server answers', async (t) => {
    const silent = createSocket('udp4');
    silent.on('message', () => {}); // takes every query, answers none
    silent.bind(0, '127.0.0.1');
    await once(silent, 'listening');
    t.after(() => silent.close());
    const silentServer = `127.0.0.1:${silent.address().port}`;
    await dnsmasq.set('second.ballast.test', '127.0.0.9');

    const resolver = resolverFor({ servers: [silentServer, dnsmasq.server], timeoutMs: 300 });
    const startedAt = clock.now();
    const answer = await resolver.resolve('second.ballast.test');
    const elapsed = clock.now() - startedAt;
    assert.deepEqual([answer.source, answer.addresses[0]?.address], ['dns', '127.0.0.9']);
    assert.ok(elapsed >= 290 && elapsed < 1_000, `answered after ${elapsed} ms`);

    const onlySilent = resolverFor({
      servers: [silentServer],
      timeoutMs: 300,
      hosts: { 'pinned.ballast.test': ['127.0.0.10'] },
    });
    await assert.rejects(onlySilent.resolve('second.ballast.test'), {
      code: 'EAI_AGAIN',
      dnsCause: 'dns-timeout',
    });
    assert.deepEqual(await onlySilent.resolve('pinned.ballast.test'), {
      addresses: [{ address: '127.0.0.10', family: 4 }],
      stale: false,
      source: 'static',
    });
  });

  it('sockets of net and undici connect through the resolver', async (t) => {
    await dnsmasq.set('service.ballast.test', '127.0.0.1');
    const resolver = resolverFor();

    const tcp = createServer((socket) => socket.end('hello'));
    tcp.listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    t.after(() => tcp.close());
    const socket = connect({
      host: 'service.ballast.test',
      port: (tcp.address() as AddressInfo).port,
      lookup: resolver.lookup,
    });
    socket.setEncoding('utf8');
    const [greeting] = await once(socket, 'data');
    socket.destroy();
    assert.equal(greeting, 'hello');

    const http = createHttpServer((_req, res) => res.end('via ballast dns'));
    http.listen(0, '127.0.0.1');
    await once(http, 'listening');
    t.after(() => http.close());
    const agent = new Agent({ connect: { lookup: resolver.lookup } });
    t.after(() => agent.close());
    const { port } = http.address() as AddressInfo;
    const response = await request(`http://service.ballast.test:${port}/`, { dispatcher: agent });
    assert.equal(await response.body.text(), 'via ballast dns');
  });

  it('without servers, localhost and IP literals resolve without any query', async () => {
    const resolver = createResolver({ staleFor: 0, timeoutMs: 500, clock });
    assert.deepEqual((await resolver.resolve('localhost')).addresses[0], {
      address: '127.0.0.1',
      family: 4,
    });
    assert.equal((await resolver.resolve('127.0.0.1')).source, 'static');
    // The system path itself, with a name /etc/hosts answers (no query leaves the machine).
    const system = await lookupWithSystem('localhost');
    assert.ok(system.some((a) => a.address === '127.0.0.1' || a.address === '::1'));
  });
});
