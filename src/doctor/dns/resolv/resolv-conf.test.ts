import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { continuesAfter, expandName } from './query-expansion.ts';
import { assumedPodResolvConf, parseResolvConf } from './resolv-conf.ts';

describe('parseResolvConf', () => {
  it('reads what glibc and musl read, each with its own limits', () => {
    const long = `search ${Array.from({ length: 30 }, (_, i) => `d${i}.example`).join(' ')}`;
    const conf = parseResolvConf(
      [
        '# comment',
        '; also a comment',
        'nameserver 10.0.0.1',
        'nameserver 10.0.0.2',
        'nameserver 10.0.0.3',
        'nameserver 10.0.0.4',
        'search a.example b.example',
        long,
        'options ndots:20 timeout:90 attempts:9 rotate',
      ].join('\n'),
      'resolv.conf',
    );
    assert.deepEqual(conf.glibc.nameservers, ['10.0.0.1', '10.0.0.2', '10.0.0.3']);
    assert.equal(conf.glibc.search.length, 30, 'the last search line wins');
    assert.deepEqual(conf.musl.search, ['a.example', 'b.example'], 'musl skips the overlong line');
    assert.deepEqual([conf.glibc.ndots, conf.glibc.timeout, conf.glibc.attempts], [15, 30, 5]);
    assert.deepEqual([conf.musl.ndots, conf.musl.timeout, conf.musl.attempts], [15, 60, 9]);
    assert.deepEqual(conf.glibc.options, ['rotate']);
    assert.equal(conf.lines[0]?.position.line, 3);
  });

  it('assumes what kubelet writes for a ClusterFirst pod', () => {
    const conf = assumedPodResolvConf('10.96.0.10', 'cluster.local.');
    assert.deepEqual(conf.glibc.search, [
      'default.svc.cluster.local',
      'svc.cluster.local',
      'cluster.local',
    ]);
    assert.equal(conf.glibc.ndots, 5);
    assert.ok(conf.assumed);
  });
});

describe('expandName', () => {
  const view = assumedPodResolvConf('10.96.0.10', 'cluster.local.').glibc;
  it('searches first when the name has fewer than ndots dots, in both libraries', () => {
    const expected = [
      'api.github.com.default.svc.cluster.local.',
      'api.github.com.svc.cluster.local.',
      'api.github.com.cluster.local.',
      'api.github.com.',
    ];
    assert.deepEqual(
      expandName('api.github.com', view, 'glibc').map((c) => c.name),
      expected,
    );
    assert.deepEqual(
      expandName('api.github.com', view, 'musl').map((c) => c.name),
      expected,
    );
  });
  it('asks the name first with enough dots; musl then stops, glibc still searches', () => {
    const few = { ...view, ndots: 2 };
    assert.deepEqual(
      expandName('api.github.com', few, 'musl').map((c) => c.name),
      ['api.github.com.'],
    );
    assert.deepEqual(
      expandName('api.github.com', few, 'glibc').map((c) => c.name)[0],
      'api.github.com.',
    );
    assert.equal(expandName('api.github.com', few, 'glibc').length, 4);
  });
  it('never searches an absolute name', () => {
    assert.deepEqual(expandName('Api.GitHub.com.', view, 'glibc'), [
      { name: 'api.github.com.', search: null },
    ]);
  });
  it('knows when each library moves on', () => {
    assert.ok(continuesAfter('nxdomain', 'musl') && continuesAfter('nxdomain', 'glibc'));
    assert.ok(continuesAfter('servfail', 'glibc') && !continuesAfter('servfail', 'musl'));
    assert.ok(continuesAfter('nodata', 'glibc') && !continuesAfter('nodata', 'musl'));
    assert.ok(!continuesAfter('timeout', 'glibc'));
  });
});
