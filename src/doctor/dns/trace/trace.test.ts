import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCorefile } from '../corefile/corefile-parser.ts';
import type { LoadedCorefile } from '../corefile/corefile-roles.ts';
import { detectRole } from '../corefile/corefile-roles.ts';
import { assumedPodResolvConf, parseResolvConf } from '../resolv/resolv-conf.ts';
import { judgeKubernetesName } from './kubernetes-names.ts';
import { traceName } from './trace.ts';
import { routeQuery } from './trace-route.ts';

const load = (label: string, text: string): LoadedCorefile => {
  const corefile = parseCorefile(text, { label });
  return { corefile, role: detectRole(corefile) };
};

const nodeLocal = load(
  'nodelocal',
  `cluster.local:53 {
  cache 30
  bind 169.254.20.10
  forward . 10.96.0.10 {
    force_tcp
  }
}
.:53 {
  cache 30
  bind 169.254.20.10
  forward . 10.96.0.10
}
`,
);
const coredns = load(
  'coredns',
  `.:53 {
  kubernetes cluster.local in-addr.arpa ip6.arpa {
    fallthrough in-addr.arpa ip6.arpa
  }
  forward . 10.40.0.2
  cache 30
  rewrite name exact old.example new.example
}
corp.example:53 {
  forward . 10.20.0.53
  hosts {
    10.20.0.1 gw.corp.example
    fallthrough
  }
}
`,
);

describe('routeQuery', () => {
  it('picks the longest zone and the first plugin in CoreDNS order, not Corefile order', () => {
    const route = routeQuery(coredns.corefile, { name: 'gw.corp.example.', type: 'A', port: 53 });
    assert.equal(route.block?.keys[0]?.text, 'corp.example:53');
    assert.equal(route.decision.kind, 'answer');
    assert.match(route.decision.detail, /hosts: gw.corp.example. is 10.20.0.1/);
    const other = routeQuery(coredns.corefile, { name: 'www.corp.example.', type: 'A', port: 53 });
    assert.equal(other.decision.kind, 'forward');
  });
  it('applies rewrite before the answering plugin, and lets kubernetes fall through only where told', () => {
    const rewritten = routeQuery(coredns.corefile, { name: 'old.example.', type: 'A', port: 53 });
    assert.equal(rewritten.name, 'new.example.');
    assert.match(rewritten.notes.join(' '), /rewrite .* turns old.example. into new.example./);
    const reverse = routeQuery(coredns.corefile, {
      name: '9.0.0.10.in-addr.arpa.',
      type: 'A',
      port: 53,
    });
    assert.equal(reverse.decision.kind, 'forward');
    const cluster = routeQuery(coredns.corefile, {
      name: 'x.y.z.cluster.local.',
      type: 'A',
      port: 53,
    });
    assert.equal(cluster.decision.kind, 'answer');
  });
  it('honours bind, ports and says REFUSED or SERVFAIL when nothing fits', () => {
    assert.equal(
      routeQuery(nodeLocal.corefile, {
        name: 'a.example.',
        type: 'A',
        port: 53,
        listenAddress: '10.0.0.1',
      }).decision.kind,
      'refused',
    );
    assert.equal(
      routeQuery(nodeLocal.corefile, { name: 'a.example.', type: 'A', port: 5353 }).decision.kind,
      'refused',
    );
    const empty = load('empty', '.:53 {\n  errors\n}\n');
    assert.equal(
      routeQuery(empty.corefile, { name: 'a.example.', type: 'A', port: 53 }).decision.kind,
      'servfail',
    );
  });
});

describe('traceName', () => {
  it('follows a query from NodeLocal DNSCache to CoreDNS to the stub zone upstream', () => {
    const resolv = parseResolvConf(
      'search default.svc.cluster.local svc.cluster.local cluster.local\nnameserver 169.254.20.10\noptions ndots:5\n',
      'resolv.conf',
    );
    const { trace, findings } = traceName('api.corp.example', {
      corefiles: [nodeLocal, coredns],
      clusterDns: { host: '10.96.0.10' },
      resolv,
    });
    assert.deepEqual(findings, []);
    assert.equal(trace.queries.length, 8, '4 names × A/AAAA');
    const asGiven = trace.queries.find((q) => q.name === 'api.corp.example.' && q.type === 'A');
    assert.deepEqual(
      asGiven?.hops.map((h) => [h.server, h.block, h.outcome]),
      [
        ['NodeLocal DNSCache (nodelocal)', '.:53', 'forward'],
        ['CoreDNS (coredns)', 'corp.example:53', 'forward'],
      ],
    );
    assert.deepEqual(
      asGiven?.hops[1]?.targets?.map((t) => [t.address, t.transport]),
      [['10.20.0.53:53', 'udp']],
    );
    const searched = trace.queries[0];
    assert.equal(searched?.hops[0]?.targets?.[0]?.transport, 'tcp');
    assert.equal(searched?.hops[1]?.outcome, 'nxdomain');
  });

  it('finds a forwarding loop between two Corefiles', () => {
    const a = load('a', '.:53 {\n  bind 10.0.0.1\n  forward . 10.0.0.2\n}\n');
    const b = load('b', '.:53 {\n  bind 10.0.0.2\n  forward . 10.0.0.1\n}\n');
    const { trace, findings } = traceName('x.example.', {
      corefiles: [a, b],
      resolv: assumedPodResolvConf('10.0.0.1', 'cluster.local.'),
    });
    assert.deepEqual(
      trace.queries[0]?.hops.map((h) => h.outcome),
      ['forward', 'forward', 'loop'],
    );
    assert.equal(findings[0]?.rule, 'trace-forward-loop');
  });

  it('reports names no block serves', () => {
    const only = load('only', 'corp.example:53 {\n  forward . 10.0.0.9\n}\n');
    const { findings } = traceName('x.example.', {
      corefiles: [only],
      resolv: assumedPodResolvConf('10.96.0.10', 'cluster.local.'),
    });
    assert.equal(findings[0]?.rule, 'trace-no-server-block');
  });
});

describe('judgeKubernetesName', () => {
  it('knows which names can exist', () => {
    const judge = (name: string) => judgeKubernetesName(name, 'cluster.local.').outcome;
    assert.equal(judge('web.default.svc.cluster.local.'), 'maybe');
    assert.equal(judge('_http._tcp.web.default.svc.cluster.local.'), 'maybe');
    assert.equal(judge('10-0-0-1.default.pod.cluster.local.'), 'maybe');
    assert.equal(judge('api.github.com.cluster.local.'), 'nxdomain');
    assert.equal(judge('a.b.c.d.default.svc.cluster.local.'), 'nxdomain');
    assert.equal(judge('cluster.local.'), 'answer');
  });
});
