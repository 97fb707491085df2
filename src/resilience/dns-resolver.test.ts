import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type BallastEvents, createEventBus } from '../observability/events.ts';
import { createManualClock } from './clock.ts';
import { DnsLookupError } from './dns-lookup-error.ts';
import { createResolver, type ResolverOptions } from './dns-resolver.ts';
import type { DnsQuery } from './dns-server-lookup.ts';
import { type DnsReply, DnsTransportError } from './dns-wire-client.ts';
import { classifyFault } from './fault-taxonomy.ts';

type Zone = Record<string, DnsReply | 'timeout'>;

/** A DNS stand-in: per server port, `name/TYPE` → reply; missing names are NXDOMAIN. */
function fakeDns(zones: Record<number, Zone>) {
  const asked: string[] = [];
  const query: DnsQuery = async (server, name, type) => {
    asked.push(`${server.port} ${name}/${type}`);
    const found = zones[server.port]?.[`${name}/${type}`];
    if (found === 'timeout') throw new DnsTransportError('ETIMEOUT', 'no answer in time');
    return found ?? { rcode: 'NXDOMAIN', addresses: [] };
  };
  return { query, asked };
}

const ok = (addresses: string[], ttl: number): DnsReply => ({ rcode: 'NOERROR', addresses, ttl });
const empty: DnsReply = { rcode: 'NOERROR', addresses: [] };
const zoneOf = (name: string, address: string, ttl = 60): Zone => ({
  [`${name}/A`]: ok([address], ttl),
  [`${name}/AAAA`]: empty,
});

function setup(zones: Record<number, Zone>, extra: Partial<ResolverOptions> = {}) {
  const clock = createManualClock(0);
  const bus = createEventBus();
  const events: string[] = [];
  const log = (name: keyof BallastEvents) => (e: object) =>
    events.push(`${name} ${JSON.stringify(e)}`);
  bus.on('dns:stale', log('dns:stale'));
  bus.on('dns:lookup-failed', log('dns:lookup-failed'));
  const dns = fakeDns(zones);
  const resolver = createResolver({
    servers: Object.keys(zones).map((port) => `127.0.0.1:${port}`),
    staleFor: 60_000,
    timeoutMs: 500,
    clock,
    bus,
    query: dns.query,
    ...extra,
  });
  return { clock, resolver, events, dns, zones };
}

describe('resolver', () => {
  it('never asks DNS for IP literals or localhost', async () => {
    const { resolver, dns } = setup({ 1053: {} });
    assert.deepEqual(await resolver.resolve('127.0.0.1'), {
      addresses: [{ address: '127.0.0.1', family: 4 }],
      stale: false,
      source: 'static',
    });
    assert.deepEqual((await resolver.resolve('[::1]')).addresses, [{ address: '::1', family: 6 }]);
    assert.equal((await resolver.resolve('LocalHost.')).addresses.length, 2);
    assert.equal((await resolver.resolve('api.localhost')).addresses[0]?.address, '127.0.0.1');
    assert.deepEqual(dns.asked, []);
  });

  it('asks A and AAAA and caches the answer for its TTL', async () => {
    const { clock, resolver, dns } = setup({
      1053: { 'up.test/A': ok(['127.0.0.5'], 30), 'up.test/AAAA': ok(['::5'], 20) },
    });
    assert.deepEqual(await resolver.resolve('Up.Test'), {
      addresses: [
        { address: '127.0.0.5', family: 4 },
        { address: '::5', family: 6 },
      ],
      stale: false,
      source: 'dns',
    });
    await clock.advance(19_999);
    assert.equal((await resolver.resolve('up.test')).source, 'cache');
    await clock.advance(1);
    assert.equal((await resolver.resolve('up.test')).source, 'dns');
    assert.equal(dns.asked.length, 4);
  });

  it('keeps a TTL-0 answer for the floor and a huge TTL only up to the ceiling', async () => {
    const { clock, resolver } = setup(
      {
        1053: {
          ...zoneOf('zero.test', '127.0.0.1', 0),
          ...zoneOf('long.test', '127.0.0.2', 86_400),
        },
      },
      { ttl: { floorMs: 2_000, ceilingMs: 10_000 } },
    );
    await resolver.resolve('zero.test');
    await resolver.resolve('long.test');
    await clock.advance(1_999);
    assert.equal((await resolver.resolve('zero.test')).source, 'cache');
    await clock.advance(1);
    assert.equal((await resolver.resolve('zero.test')).source, 'dns');
    await clock.advance(8_000);
    assert.equal((await resolver.resolve('long.test')).source, 'dns');
  });

  it('shares one query among concurrent lookups of a name', async () => {
    const { resolver, dns } = setup({ 1053: zoneOf('shared.test', '127.0.0.3') });
    const all = await Promise.all([1, 2, 3].map(() => resolver.resolve('shared.test')));
    assert.ok(all.every((r) => r.addresses[0]?.address === '127.0.0.3'));
    assert.deepEqual(dns.asked, ['1053 shared.test/A', '1053 shared.test/AAAA']);
  });

  it('serves the last known addresses for staleFor when the name vanishes, then fails', async () => {
    const { clock, resolver, events, zones } = setup(
      { 1053: zoneOf('flaky.test', '127.0.0.4', 10) },
      { staleFor: 30_000 },
    );
    await resolver.resolve('flaky.test');
    zones[1053] = {};
    await clock.advance(10_000);
    assert.deepEqual(await resolver.resolve('flaky.test'), {
      addresses: [{ address: '127.0.0.4', family: 4 }],
      stale: true,
      source: 'stale',
    });
    assert.deepEqual(events, [
      'dns:stale {"hostname":"flaky.test","ageMs":10000,"cause":"dns-nxdomain"}',
      'dns:lookup-failed {"hostname":"flaky.test","cause":"dns-nxdomain","servedFrom":"stale"}',
    ]);
    await clock.advance(20_001);
    await assert.rejects(
      resolver.resolve('flaky.test'),
      (e) => e instanceof DnsLookupError && e.code === 'ENOTFOUND' && e.dnsCause === 'dns-nxdomain',
    );
  });

  it('falls back to the static hosts entry when nothing fresh enough is known', async () => {
    const { resolver, events } = setup({ 1053: {} }, { hosts: { 'Pinned.Test': ['127.0.0.9'] } });
    assert.deepEqual(await resolver.resolve('pinned.test'), {
      addresses: [{ address: '127.0.0.9', family: 4 }],
      stale: false,
      source: 'static',
    });
    assert.deepEqual(events, [
      'dns:lookup-failed {"hostname":"pinned.test","cause":"dns-nxdomain","servedFrom":"static"}',
    ]);
  });

  it('refuses static hosts that are not IP addresses', () => {
    assert.throws(() => setup({ 1053: {} }, { hosts: { a: ['not-an-ip'] } }), /not an IP address/);
  });

  it('asks the next server when one times out or fails, but not after NXDOMAIN', async () => {
    const { resolver, dns } = setup({
      1053: { 'x.test/A': 'timeout', 'x.test/AAAA': 'timeout' },
      1054: { 'x.test/A': { rcode: 'SERVFAIL', addresses: [] }, 'x.test/AAAA': empty },
      1055: zoneOf('x.test', '127.0.0.6'),
    });
    assert.equal((await resolver.resolve('x.test')).addresses[0]?.address, '127.0.0.6');
    dns.asked.length = 0;
    await assert.rejects(resolver.resolve('y.test'), { code: 'ENOTFOUND' });
    assert.deepEqual(dns.asked, ['1053 y.test/A', '1053 y.test/AAAA']);
  });

  it('fails with EAI_AGAIN when every server fails, and remembers that briefly', async () => {
    const { clock, resolver, dns } = setup(
      { 1053: { 'down.test/A': 'timeout', 'down.test/AAAA': 'timeout' } },
      { ttl: { negativeMs: 1_000 } },
    );
    const check = (e: unknown) =>
      e instanceof DnsLookupError && e.code === 'EAI_AGAIN' && e.dnsCause === 'dns-timeout';
    await assert.rejects(resolver.resolve('down.test'), check);
    await assert.rejects(resolver.resolve('down.test'), check);
    assert.equal(dns.asked.length, 2);
    await clock.advance(1_000);
    await assert.rejects(resolver.resolve('down.test'), check);
    assert.equal(dns.asked.length, 4);
  });

  it('treats a name without addresses as not found', async () => {
    const { resolver } = setup({ 1053: { 'bare.test/A': empty, 'bare.test/AAAA': empty } });
    await assert.rejects(resolver.resolve('bare.test'), {
      code: 'ENOTFOUND',
      dnsCause: 'dns-nodata',
    });
  });

  it('its errors classify as the taxonomy expects', async () => {
    const { resolver } = setup({ 1053: { 'down.test/A': 'timeout', 'down.test/AAAA': 'timeout' } });
    const nx = await resolver.resolve('none.test').catch((e: unknown) => e);
    assert.deepEqual(classifyFault(nx), {
      transient: true,
      cause: 'dns-nxdomain',
      tryNextUpstreamFirst: true,
    });
    const down = await resolver.resolve('down.test').catch((e: unknown) => e);
    assert.equal(classifyFault(down).cause, 'dns-eai-again');
  });

  it('lets one caller give up without cancelling the shared lookup', async () => {
    const clock = createManualClock();
    let release: (reply: DnsReply) => void = () => {};
    const gate = new Promise<DnsReply>((resolve) => {
      release = resolve;
    });
    const resolver = createResolver({
      servers: ['127.0.0.1:1053'],
      staleFor: 0,
      timeoutMs: 500,
      clock,
      query: (_server, _name, type) => (type === 'A' ? gate : Promise.resolve(empty)),
    });
    const controller = new AbortController();
    const impatient = resolver.resolve('slow.test', controller.signal);
    const patient = resolver.resolve('slow.test');
    controller.abort(new Error('gone'));
    await assert.rejects(impatient, /gone/);
    release(ok(['127.0.0.8'], 5));
    assert.equal((await patient).addresses[0]?.address, '127.0.0.8');
  });
});

describe('resolver without servers', () => {
  it('uses the system resolver with a default TTL and maps its errors', async () => {
    const clock = createManualClock();
    const asked: string[] = [];
    const resolver = createResolver({
      staleFor: 0,
      timeoutMs: 500,
      clock,
      ttl: { systemMs: 5_000 },
      system: async (name) => {
        asked.push(name);
        if (name === 'known.test') return [{ address: '127.0.0.2', family: 4 }];
        throw Object.assign(new Error(`getaddrinfo EAI_AGAIN ${name}`), { code: 'EAI_AGAIN' });
      },
    });
    assert.equal((await resolver.resolve('known.test')).source, 'dns');
    await clock.advance(4_999);
    assert.equal((await resolver.resolve('known.test')).source, 'cache');
    await assert.rejects(resolver.resolve('other.test'), {
      code: 'EAI_AGAIN',
      dnsCause: 'dns-eai-again',
    });
    assert.deepEqual(asked, ['known.test', 'other.test']);
  });
});

describe('resolver lookup function', () => {
  const { resolver } = setup({
    1053: { 'dual.test/A': ok(['127.0.0.5'], 60), 'dual.test/AAAA': ok(['::5'], 60) },
  });
  const call = (hostname: string, options: object) =>
    new Promise<unknown[]>((resolve) => {
      resolver.lookup(hostname, options, (error, address, family) =>
        resolve([error, address, family]),
      );
    });

  it('answers one address, all of them, or one family', async () => {
    assert.deepEqual(await call('dual.test', {}), [null, '127.0.0.5', 4]);
    assert.deepEqual(await call('dual.test', { all: true }), [
      null,
      [
        { address: '127.0.0.5', family: 4 },
        { address: '::5', family: 6 },
      ],
      undefined,
    ]);
    assert.deepEqual(await call('dual.test', { family: 6 }), [null, '::5', 6]);
    assert.deepEqual(await call('dual.test', { family: 'IPv6', all: true }), [
      null,
      [{ address: '::5', family: 6 }],
      undefined,
    ]);
  });

  it('passes errors with their code', async () => {
    const [error] = await call('missing.test', {});
    assert.equal((error as DnsLookupError).code, 'ENOTFOUND');
    const [noV6] = await call('127.0.0.1', { family: 6 });
    assert.equal((noV6 as DnsLookupError).code, 'ENOTFOUND');
  });
});
