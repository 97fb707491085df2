import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatNextPageLink, nextPageLink } from './link-header.ts';
import { isRepositoryName, isTag, referenceKind } from './names.ts';
import { formatOciChartUrl, parseOciChartUrl, parseOciUpstreamUrl } from './oci-reference.ts';
import { lexicalSort, pageOf, parseTagList } from './tag-list.ts';
import { tagToVersion, versionToTag } from './tag-version.ts';

describe('names, tags and references', () => {
  it('accepts the spec grammar and nothing that could leave a path', () => {
    for (const name of ['charts/demo', 'a/b.c/d_e/f__g/h--i', 'x'])
      assert.ok(isRepositoryName(name), name);
    for (const name of [
      '',
      '../etc',
      'a/../b',
      'a//b',
      '/a',
      'a/',
      'A/b',
      'a%2fb',
      'a\\b',
      'a/.b',
      'a/b_',
    ])
      assert.ok(!isRepositoryName(name), name);
    assert.ok(isTag('1.0.0_build.7'));
    assert.ok(!isTag('.hidden'));
    assert.ok(!isTag('1.0.0+build'));
    assert.ok(!isTag('a'.repeat(129)));
    assert.equal(referenceKind('v1'), 'tag');
    assert.equal(referenceKind(`sha256:${'a'.repeat(64)}`), 'digest');
    assert.equal(referenceKind('../../x'), undefined);
  });

  it('maps + to _ and back', () => {
    assert.equal(versionToTag('1.0.0+build.7'), '1.0.0_build.7');
    assert.equal(tagToVersion('1.0.0_build.7'), '1.0.0+build.7');
  });
});

describe('oci:// URLs', () => {
  it('parses upstreams with and without a namespace', () => {
    assert.deepEqual(parseOciUpstreamUrl('oci://127.0.0.1:5000/charts/'), {
      registry: '127.0.0.1:5000',
      namespace: 'charts',
    });
    assert.deepEqual(parseOciUpstreamUrl('oci://GHCR.io'), { registry: 'ghcr.io', namespace: '' });
    for (const bad of [
      'https://ghcr.io/x',
      'oci://user:pw@host/x',
      'oci://host/../x',
      'oci://ho st/x',
    ])
      assert.throws(() => parseOciUpstreamUrl(bad), bad);
  });

  it('round-trips the chart URLs of an index built from OCI', () => {
    const reference = { registry: '127.0.0.1:5000', repository: 'charts/demo', tag: '1.0.0_b.1' };
    const url = formatOciChartUrl(reference);
    assert.equal(url, 'oci://127.0.0.1:5000/charts/demo:1.0.0_b.1');
    assert.deepEqual(parseOciChartUrl(url), reference);
    assert.equal(parseOciChartUrl('oci://127.0.0.1:5000/charts/demo'), undefined);
    assert.equal(parseOciChartUrl('https://host/charts/demo:1.0.0'), undefined);
  });
});

describe('paged lists', () => {
  it('reads Link headers', () => {
    assert.equal(
      nextPageLink('</v2/a/tags/list?last=b&n=2>; rel="next"'),
      '/v2/a/tags/list?last=b&n=2',
    );
    assert.equal(nextPageLink('<https://x/p>; rel=prev, <https://x/q>; rel="next"'), 'https://x/q');
    assert.equal(nextPageLink('<https://x/p>; rel="prev"'), undefined);
    assert.equal(nextPageLink(undefined), undefined);
    assert.equal(
      formatNextPageLink('/v2/_catalog?last=a&n=1'),
      '</v2/_catalog?last=a&n=1>; rel="next"',
    );
  });

  it('pages with n and last in lexical order', () => {
    const sorted = lexicalSort(['b', 'a', 'c', 'B', 'a']);
    assert.deepEqual(sorted, ['B', 'a', 'b', 'c']);
    assert.deepEqual(pageOf(sorted, { n: 2 }), { items: ['B', 'a'], more: true });
    assert.deepEqual(pageOf(sorted, { n: 2, last: 'a' }), { items: ['b', 'c'], more: false });
    assert.deepEqual(pageOf(sorted, { last: 'zzz' }), { items: [], more: false });
    assert.deepEqual(pageOf(sorted, { n: 0 }), { items: [], more: true });
  });

  it('parses tag lists and refuses what is not one', () => {
    assert.deepEqual(parseTagList(Buffer.from('{"name":"a/b","tags":["1"]}')), {
      name: 'a/b',
      tags: ['1'],
    });
    assert.deepEqual(parseTagList(Buffer.from('{"name":"a/b","tags":null}')).tags, []);
    assert.throws(() => parseTagList(Buffer.from('<html>')), /not JSON/);
    assert.throws(() => parseTagList(Buffer.from('{"tags":[1]}')), /not a list of strings/);
  });
});
