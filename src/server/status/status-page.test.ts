import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StatusDocument } from './status-document.ts';
import { renderStatusPage } from './status-page.ts';

const hostile = '<script>alert(1)</script>"\'&';

const document: StatusDocument = {
  generatedAt: '2026-01-01T00:00:00.000Z',
  repos: [
    {
      name: 'stable',
      upstreams: [
        {
          url: 'https://charts.example/',
          state: 'down',
          stage: 'payload',
          code: 'upstream-payload-invalid',
          since: '2026-01-01T00:00:00.000Z',
          // Upstream text ends up in messages: an HTML error page, for instance.
          message: `index.yaml does not parse: ${hostile}`,
          probedAt: '2026-01-01T00:00:00.000Z',
          certificateExpiresAt: null,
          history: new Array(48).fill(null),
        },
      ],
      index: { versions: 0, ageSeconds: null, stale: true, staleBecause: hostile },
      guardRefusals: { count: 1, last: { at: '2026-01-01T00:00:00.000Z', message: hostile } },
    },
  ],
  files: [],
  cache: {
    hits: 0,
    misses: 0,
    hitRatio: null,
    storedBytes: null,
    topCharts: [{ repo: 'stable', chart: hostile, pulls: 1 }],
    upstreamRequests: { ok: 0, 'not-modified': 0, error: 0 },
  },
};

test('text from upstreams, the store and the request is escaped, never markup', () => {
  const page = renderStatusPage({
    document,
    base: 'http://ballast.example',
    search: {
      query: hostile,
      results: [{ repo: 'stable', chart: hostile, latest: hostile, versions: 1 }],
    },
    chart: {
      repo: hostile,
      chart: hostile,
      versions: [{ version: hostile, appVersion: hostile, digest: hostile, created: hostile }],
    },
  });
  assert.doesNotMatch(page, /<script>/);
  assert.match(
    page,
    /Serving the last good index: &lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&#39;&amp;/,
  );
  assert.match(page, /value="&lt;script&gt;alert\(1\)&lt;\/script&gt;&quot;&#39;&amp;"/);
  assert.match(
    page,
    /href="\/\?repo=stable&amp;chart=%3Cscript%3Ealert\(1\)%3C%2Fscript%3E%22'%26"/,
  );
});

test('an unknown chart says so instead of failing', () => {
  const page = renderStatusPage({
    document,
    base: 'http://ballast.example',
    chart: { repo: 'stable', chart: 'nothing-here', versions: undefined },
  });
  assert.match(page, /No such chart\./);
});
