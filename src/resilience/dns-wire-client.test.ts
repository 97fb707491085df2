import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { once } from 'node:events';
import { createServer, type Server } from 'node:net';
import { after, before, describe, it } from 'node:test';
import {
  type Answer,
  decode,
  encode,
  type Packet,
  streamEncode,
  TRUNCATED_RESPONSE,
} from 'dns-packet';
import { createManualClock } from './clock.ts';
import { parseDnsServer } from './dns-server-address.ts';
import { DnsTransportError, queryDns } from './dns-wire-client.ts';

/** How the in-process server answers a question, by name. */
type Behaviour = (query: Packet, over: 'udp' | 'tcp') => Packet[] | 'silent';

const rcodeFlag = (rcode: number) => rcode & 0xf;
const reply = (query: Packet, extra: Partial<Packet> = {}, flags = 0): Packet => ({
  type: 'response',
  id: query.id,
  flags: flags | 0x8000,
  questions: query.questions,
  ...extra,
});
const a = (name: string, data: string, ttl: number): Answer => ({
  type: 'A',
  name,
  data,
  ttl,
  class: 'IN',
});

const behaviours: Record<string, Behaviour> = {
  'a.test': (q) => [
    reply(q, { answers: [a('a.test', '127.0.0.7', 30), a('a.test', '127.0.0.8', 20)] }),
  ],
  'gone.test': (q) => [reply(q, {}, rcodeFlag(3))],
  'broken.test': (q) => [reply(q, {}, rcodeFlag(2))],
  'big.test': (q, over) =>
    over === 'udp'
      ? [reply(q, {}, TRUNCATED_RESPONSE)]
      : [reply(q, { answers: [a('big.test', '127.0.0.9', 60)] })],
  'noisy.test': (q) => [
    reply(
      { ...q, id: ((q.id ?? 0) + 1) % 65_536 },
      { answers: [a('noisy.test', '127.0.0.66', 5)] },
    ),
    reply({ ...q, questions: [{ type: 'A', name: 'other.test' }] }),
    reply(q, { answers: [a('noisy.test', '127.0.0.10', 5)] }),
  ],
  'silent.test': () => 'silent',
};

const respond = (query: Packet, over: 'udp' | 'tcp'): Packet[] => {
  const name = query.questions?.[0]?.name ?? '';
  const behaviour = behaviours[name];
  if (!behaviour) return [reply(query, {}, rcodeFlag(5))];
  const answer = behaviour(query, over);
  return answer === 'silent' ? [] : answer;
};

let udp: Socket;
let tcp: Server;
let port = 0;

before(async () => {
  udp = createSocket('udp4');
  udp.on('message', (data, peer) => {
    for (const packet of respond(decode(data), 'udp'))
      udp.send(encode(packet), peer.port, peer.address);
  });
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  port = udp.address().port;
  tcp = createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (data) => {
      for (const packet of respond(decode(data.subarray(2)), 'tcp'))
        socket.write(streamEncode(packet));
      socket.end();
    });
  });
  // The TCP side must share the UDP port number; it is free in all but rare cases.
  tcp.listen(port, '127.0.0.1');
  await once(tcp, 'listening');
});

after(() => {
  udp.close();
  tcp.close();
});

describe('DNS wire client', () => {
  const clock = createManualClock();
  const server = () => parseDnsServer(`127.0.0.1:${port}`);
  const ask = (name: string, signal?: AbortSignal) =>
    queryDns(server(), name, 'A', { clock, timeoutMs: 1_000, signal });

  it('reads addresses and the smallest TTL', async () => {
    assert.deepEqual(await ask('a.test'), {
      rcode: 'NOERROR',
      addresses: ['127.0.0.7', '127.0.0.8'],
      ttl: 20,
    });
  });

  it('reports NXDOMAIN and SERVFAIL as rcodes', async () => {
    assert.equal((await ask('gone.test')).rcode, 'NXDOMAIN');
    assert.equal((await ask('broken.test')).rcode, 'SERVFAIL');
  });

  it('asks again over TCP when the UDP answer is truncated', async () => {
    assert.deepEqual((await ask('big.test')).addresses, ['127.0.0.9']);
  });

  it('ignores answers whose id or question do not match', async () => {
    assert.deepEqual((await ask('noisy.test')).addresses, ['127.0.0.10']);
  });

  it('times out on a silent server, on the clock', async () => {
    const pending = ask('silent.test');
    const settled = assert.rejects(
      pending,
      (e) => e instanceof DnsTransportError && e.code === 'ETIMEOUT',
    );
    await clock.advance(999);
    let done = false;
    pending
      .catch(() => {})
      .finally(() => {
        done = true;
      });
    await clock.settle();
    assert.equal(done, false);
    await clock.advance(1);
    await settled;
  });

  it('fails at once when nothing listens on the port', async () => {
    const probe = createSocket('udp4');
    probe.bind(0, '127.0.0.1');
    await once(probe, 'listening');
    const closedPort = probe.address().port;
    probe.close();
    const pending = queryDns(parseDnsServer(`127.0.0.1:${closedPort}`), 'a.test', 'A', {
      clock,
      timeoutMs: 1_000,
    });
    await assert.rejects(
      pending,
      (e) => e instanceof DnsTransportError && e.code === 'ECONNREFUSED',
    );
  });

  it('stops when aborted', async () => {
    const controller = new AbortController();
    const pending = ask('silent.test', controller.signal);
    controller.abort(new Error('caller gone'));
    await assert.rejects(pending, /caller gone/);
    assert.equal(clock.pendingSleeps, 0);
  });
});
