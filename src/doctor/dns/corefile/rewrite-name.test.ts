import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCorefile } from './corefile-parser.ts';
import { applyRewrite } from './rewrite-name.ts';

const rewriteOf = (line: string) => {
  const directive = parseCorefile(`.:53 {\n${line}\n}\n`, { label: 'Corefile' }).blocks[0]
    ?.directives[0];
  assert.ok(directive);
  return directive;
};

describe('applyRewrite', () => {
  it('reads the one-line and the block form of a name rule', () => {
    const inline = rewriteOf('rewrite stop name suffix .corp.example .svc.cluster.local');
    assert.equal(applyRewrite(inline, 'api.corp.example.'), 'api.svc.cluster.local.');
    const block = rewriteOf(
      'rewrite stop {\n name regex (.*)\\.example\\.com {1}.default.svc.cluster.local\n answer name (.*)\\.default\\.svc\\.cluster\\.local {1}.example.com\n}',
    );
    assert.equal(applyRewrite(block, 'test.example.com.'), 'test.default.svc.cluster.local.');
    assert.equal(applyRewrite(block, 'test.example.org.'), undefined);
  });

  it('builds a regex result from the replacement and its groups only, as plugin/rewrite does', () => {
    const regex = rewriteOf(
      'rewrite name regex (.*)-(us-west-1)\\.coredns\\.rocks {1}.service.{2}.consul',
    );
    assert.equal(
      applyRewrite(regex, 'ftp-us-west-1.coredns.rocks.'),
      'ftp.service.us-west-1.consul.',
    );
    assert.equal(
      applyRewrite(rewriteOf('rewrite name exact a.example b.example'), 'a.example.'),
      'b.example.',
    );
    assert.equal(applyRewrite(rewriteOf('rewrite ttl example.com 30'), 'example.com.'), undefined);
  });
});
