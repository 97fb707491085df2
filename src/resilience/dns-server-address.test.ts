import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatDnsServer, parseDnsServer } from './dns-server-address.ts';

describe('DNS server address', () => {
  it('reads IPv4 and IPv6 with and without a port', () => {
    assert.deepEqual(parseDnsServer('10.96.0.10'), { host: '10.96.0.10', port: 53, family: 4 });
    assert.deepEqual(parseDnsServer('127.0.0.1:5353'), {
      host: '127.0.0.1',
      port: 5353,
      family: 4,
    });
    assert.deepEqual(parseDnsServer('::1'), { host: '::1', port: 53, family: 6 });
    assert.deepEqual(parseDnsServer('[::1]:5353'), { host: '::1', port: 5353, family: 6 });
    assert.deepEqual(parseDnsServer(' [fd00::53] '), { host: 'fd00::53', port: 53, family: 6 });
  });

  it('refuses names and bad ports', () => {
    assert.throws(() => parseDnsServer('dns.example'), /not an IP address/);
    assert.throws(() => parseDnsServer('dns.example:53'), /not an IP address/);
    assert.throws(() => parseDnsServer('127.0.0.1:0'), /invalid port/);
    assert.throws(() => parseDnsServer('127.0.0.1:70000'), /invalid port/);
    assert.throws(() => parseDnsServer('127.0.0.1:x'), /invalid port/);
    assert.throws(() => parseDnsServer(''), /not an IP address/);
  });

  it('formats back', () => {
    assert.equal(formatDnsServer(parseDnsServer('[::1]:5353')), '[::1]:5353');
    assert.equal(formatDnsServer(parseDnsServer('127.0.0.1')), '127.0.0.1:53');
  });
});
