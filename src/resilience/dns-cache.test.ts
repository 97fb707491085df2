import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createDnsCache } from './dns-cache.ts';
import { DnsLookupError } from './dns-lookup-error.ts';

const one = [{ address: '127.0.0.1', family: 4 as const }];
const nxdomain = new DnsLookupError('a.test', 'dns-nxdomain', 'NXDOMAIN');

describe('DNS cache', () => {
  it('keeps an answer fresh for its TTL and as last known after that', () => {
    const cache = createDnsCache();
    cache.storeAnswer('a.test', one, 1_000, 5_000);
    assert.equal(cache.fresh('a.test', 5_999), one);
    assert.equal(cache.fresh('a.test', 6_000), undefined);
    assert.deepEqual(cache.lastKnown('a.test'), { addresses: one, at: 5_000 });
  });

  it('remembers a failure briefly without forgetting the last known answer', () => {
    const cache = createDnsCache();
    cache.storeAnswer('a.test', one, 60_000, 0);
    cache.storeFailure('a.test', nxdomain, 1_000, 10);
    assert.equal(cache.fresh('a.test', 20), undefined);
    assert.equal(cache.recentFailure('a.test', 1_009), nxdomain);
    assert.equal(cache.recentFailure('a.test', 1_010), undefined);
    assert.deepEqual(cache.lastKnown('a.test')?.addresses, one);
    cache.storeAnswer('a.test', one, 60_000, 2_000);
    assert.equal(cache.recentFailure('a.test', 2_000), undefined);
  });

  it('forgets the least recently written name past its size', () => {
    const cache = createDnsCache(2);
    cache.storeAnswer('a.test', one, 1_000, 0);
    cache.storeAnswer('b.test', one, 1_000, 0);
    cache.storeAnswer('a.test', one, 1_000, 0);
    cache.storeAnswer('c.test', one, 1_000, 0);
    assert.equal(cache.lastKnown('b.test'), undefined);
    assert.ok(cache.lastKnown('a.test'));
    assert.ok(cache.lastKnown('c.test'));
    cache.clear();
    assert.equal(cache.lastKnown('a.test'), undefined);
  });
});
