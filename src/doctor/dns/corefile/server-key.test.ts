import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseServerKey, reverseZonesOf } from './server-key.ts';

const at = { file: 'Corefile', line: 1, column: 1 };

describe('parseServerKey', () => {
  it('reads zone, port and transport with CoreDNS defaults', () => {
    const cases: Array<[string, string, string[], number]> = [
      ['.', 'dns', ['.'], 53],
      ['.:53', 'dns', ['.'], 53],
      ['Example.ORG', 'dns', ['example.org.'], 53],
      ['example.org.:1053', 'dns', ['example.org.'], 1053],
      ['dns://.:5300', 'dns', ['.'], 5300],
      ['tls://example.org', 'tls', ['example.org.'], 853],
      ['grpc://example.org', 'grpc', ['example.org.'], 443],
      ['https://example.org', 'https', ['example.org.'], 443],
      ['quic://example.org', 'quic', ['example.org.'], 853],
    ];
    for (const [text, transport, zones, port] of cases) {
      const key = parseServerKey(text, at);
      assert.deepEqual(
        [key.transport, key.zones, key.port, key.problem],
        [transport, zones, port, undefined],
        text,
      );
    }
  });

  it('says what is wrong with a key CoreDNS refuses', () => {
    assert.match(parseServerKey('example.org:', at).problem ?? '', /after the last colon/);
    assert.match(parseServerKey('example.org:70000', at).problem ?? '', /out of range/);
    assert.match(parseServerKey('a..b', at).problem ?? '', /empty label/);
    assert.match(parseServerKey('foo://example.org', at).problem ?? '', /unknown transport/);
    assert.match(parseServerKey(`${'a'.repeat(64)}.example`, at).problem ?? '', /longer than 63/);
  });

  it('expands reverse CIDR keys to octet and nibble boundaries', () => {
    assert.deepEqual(reverseZonesOf('10.0.0.0/8'), ['10.in-addr.arpa.']);
    assert.deepEqual(reverseZonesOf('192.168.0.0/16'), ['168.192.in-addr.arpa.']);
    assert.equal(reverseZonesOf('10.0.0.0/17')?.length, 128);
    assert.deepEqual(reverseZonesOf('10.0.0.0/17')?.slice(0, 2), [
      '0.0.10.in-addr.arpa.',
      '1.0.10.in-addr.arpa.',
    ]);
    assert.deepEqual(reverseZonesOf('fd00::/8'), ['d.f.ip6.arpa.']);
    assert.deepEqual(reverseZonesOf('2001:db8::/32'), ['8.b.d.0.1.0.0.2.ip6.arpa.']);
    assert.deepEqual(parseServerKey('10.0.0.0/24:1053', at).zones, ['0.0.10.in-addr.arpa.']);
    assert.equal(reverseZonesOf('example.org'), undefined);
  });
});
