import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { type FaultUpstream, startFaultUpstream } from './support/fault-upstream.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { metricValue } from './support/http.ts';
import {
  helmPull,
  helmRepoUpdate,
  namedUrl,
  registerHelmRepo,
  startTestDns,
  type TestDns,
} from './support/resilience-e2e.ts';
import { tempDir } from './support/temp-dir.ts';

// Incident B: after a restart, cluster DNS had not caught up, and the first lookups of the
// upstream answered "no such host" for a few seconds. Ballast must ride that out inside its
// deadline instead of handing Helm an error.

const lateName = 'late.ballast.test';
const outageMs = 2_000;

describe('incident B: the upstream name answers NXDOMAIN for the first seconds of a cold start', () => {
  let work: string;
  let repo: ClassicRepo;
  let upstream: FaultUpstream;
  let dns: TestDns;

  before(async () => {
    work = await tempDir('incident-b');
    repo = await buildClassicRepo(join(work, 'repo'), {
      charts: [{ chart: 'demo-app', versions: ['0.1.0', '1.0.0'] }],
    });
    upstream = await startFaultUpstream({ root: repo.dir });
    dns = await startTestDns([]);
  });

  after(async () => {
    await upstream?.stop();
    await dns?.dnsmasq.stop();
  });

  for (const major of helmMajors) {
    test(`Helm ${major}: the very first helm repo update succeeds, no error reaches Helm`, async (t) => {
      await dns.resolvable([]);
      const ballast = await startBallastProcess({
        resolver: dns.resolver,
        repos: [{ name: 'demo', upstreams: [{ url: namedUrl('late', upstream.port) }] }],
        // The default 8 attempts with full-jitter backoff wait 4.5 s on average but can total
        // under 2 s (1 run in 85; more often when the name is published late): more attempts,
        // so riding out the gap is not luck. The deadline (30 s) still bounds the request.
        resilience: { retry: { maxAttempts: 20 } },
      });
      t.after(() => ballast.stop());
      const startedAt = performance.now();
      // The name appears ~2 s into the cold start, as a DNS server catching up would publish it.
      const appears = sleep(outageMs).then(() => dns.resolvable([lateName]));
      t.after(() => appears.catch(() => {}));

      await using helm = await createHelm(major);
      await registerHelmRepo(helm, 'demo', `${ballast.url}/demo`);
      const output = await helmRepoUpdate(helm, 'demo');
      const elapsed = performance.now() - startedAt;
      await appears;
      t.diagnostic(`helm ${major} repo update answered after ${Math.round(elapsed)} ms`);
      assert.ok(
        elapsed >= outageMs - 300,
        `the update finished after ${elapsed} ms, before the name existed:\n${output}`,
      );
      assert.ok(elapsed < 30_000, 'within the default 30 s deadline');

      const nxdomainRetries = await metricValue(ballast.url, 'ballast_upstream_retries_total', {
        cause: 'dns-nxdomain',
      });
      assert.ok(nxdomainRetries > 0, 'the NXDOMAIN answers were retried');
      const dest = await mkdtemp(join(work, `pull-${major}-`));
      const expected = repo.charts.find((c) => c.name === 'demo-app' && c.version === '1.0.0');
      assert.equal(await helmPull(helm, 'demo/demo-app', '1.0.0', dest), expected?.digest);
    });
  }
});
