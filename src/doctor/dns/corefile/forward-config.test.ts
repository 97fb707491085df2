import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseForwardTarget } from './forward-config.ts';

describe('parseForwardTarget', () => {
  it('reads every kind of target forward accepts', () => {
    assert.deepEqual(parseForwardTarget('https://9.9.9.9/dns-query'), {
      kind: 'address',
      text: 'https://9.9.9.9/dns-query',
      transport: 'https',
      host: '9.9.9.9',
      port: 443,
    });
    assert.deepEqual(parseForwardTarget('tls://[2620:fe::fe]:8853'), {
      kind: 'address',
      text: 'tls://[2620:fe::fe]:8853',
      transport: 'tls',
      host: '2620:fe::fe',
      port: 8853,
    });
    assert.deepEqual(parseForwardTarget('dns.quad9.net:5353'), {
      kind: 'hostname',
      text: 'dns.quad9.net:5353',
      transport: 'dns',
      host: 'dns.quad9.net',
      port: 5353,
    });
    assert.equal(parseForwardTarget('/etc/resolv.conf').kind, 'file');
    assert.equal(parseForwardTarget('__PILLAR__CLUSTER__DNS__').kind, 'placeholder');
  });

  it('says why a target is not one', () => {
    const problem = (text: string) => {
      const target = parseForwardTarget(text);
      return target.kind === 'invalid' ? target.problem : undefined;
    };
    assert.match(problem('grpc://10.0.0.1') ?? '', /only dns:\/\/, tls:\/\/ and https:\/\//);
    assert.match(problem('') ?? '', /unset environment variable/);
    assert.match(problem('10.0.0.1:99999') ?? '', /not an IP address/);
    assert.match(problem('bad_name!') ?? '', /not an IP address/);
    assert.match(problem('tls:///etc/resolv.conf') ?? '', /not an IP address/);
  });
});
