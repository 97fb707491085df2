import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { type FaultUpstream, startFaultUpstream } from './support/fault-upstream.ts';
import { createHelm, helmMajors } from './support/helm.ts';
import { metricValue } from './support/http.ts';
import {
  helmPull,
  helmRepoUpdate,
  namedUrl,
  startTestDns,
  type TestDns,
} from './support/resilience-e2e.ts';
import { tempDir } from './support/temp-dir.ts';

// Incident A: the primary's host name stops resolving (its records were dropped) while a
// second upstream serves the same charts. Helm must not notice, cold or warm.

const primaryName = 'primary.ballast.test';
const secondaryName = 'secondary.ballast.test';

describe('incident A: the primary upstream stops resolving, a second one serves the same charts', () => {
  let work: string;
  let repo: ClassicRepo;
  let primary: FaultUpstream;
  let secondary: FaultUpstream;
  let dns: TestDns;
  const running: BallastProcess[] = [];

  before(async () => {
    work = await tempDir('incident-a');
    repo = await buildClassicRepo(join(work, 'repo'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '0.2.0', '1.0.0'] },
        { chart: 'demo-config', versions: ['1.0.0', '2.0.0'] },
      ],
    });
    // One folder, two servers: the same index and the same digests, like two real mirrors.
    primary = await startFaultUpstream({ root: repo.dir });
    secondary = await startFaultUpstream({ root: repo.dir });
    dns = await startTestDns([primaryName, secondaryName]);
  });

  after(async () => {
    for (const ballast of running) await ballast.stop();
    await primary?.stop();
    await secondary?.stop();
    await dns?.dnsmasq.stop();
  });

  async function startMirror(staleFor: string): Promise<BallastProcess> {
    const ballast = await startBallastProcess({
      resolver: { ...dns.resolver, staleFor },
      repos: [
        {
          name: 'demo',
          upstreams: [
            { url: namedUrl('primary', primary.port) },
            { url: namedUrl('secondary', secondary.port) },
          ],
          refresh: '1s',
        },
      ],
    });
    running.push(ballast);
    return ballast;
  }

  const digestOf = (name: string, version: string) =>
    repo.charts.find((c) => c.name === name && c.version === version)?.digest;

  for (const major of helmMajors) {
    test(`cold, Helm ${major}: a fresh Ballast whose primary is already NXDOMAIN serves update and pull`, async () => {
      await dns.resolvable([secondaryName]);
      const ballast = await startMirror('24h');
      await using helm = await createHelm(major);
      await helm.run(['repo', 'add', 'demo', `${ballast.url}/demo`]);
      await helmRepoUpdate(helm, 'demo');
      const dest = await mkdtemp(join(work, `cold-${major}-`));
      assert.equal(
        await helmPull(helm, 'demo/demo-app', '1.0.0', dest),
        digestOf('demo-app', '1.0.0'),
      );
      assert.equal(
        await helmPull(helm, 'demo/demo-config', '2.0.0', dest),
        digestOf('demo-config', '2.0.0'),
      );
      const failures = await metricValue(ballast.url, 'ballast_dns_lookup_failures_total', {
        hostname: primaryName,
      });
      assert.ok(failures > 0, 'Ballast did ask for the primary and was told NXDOMAIN');
      await ballast.stop();
    });
  }

  /**
   * Warm: Ballast has the primary's index and one chart; then the primary's records vanish.
   * `staleFor` decides whether Ballast may keep using the primary's last known address.
   */
  const warmCases = [
    {
      name: 'past staleFor (no last known address): the secondary takes over',
      staleFor: '1s',
      expectSecondary: true,
    },
    {
      name: 'within staleFor: the last known address keeps the primary in use',
      staleFor: '24h',
      expectSecondary: false,
    },
  ];
  for (const warm of warmCases) {
    test(`warm, ${warm.name}`, async () => {
      await dns.resolvable([primaryName, secondaryName]);
      const ballast = await startMirror(warm.staleFor);
      const workDir = await mkdtemp(join(work, 'warm-'));
      {
        await using helm = await createHelm(4);
        await helm.run(['repo', 'add', 'demo', `${ballast.url}/demo`]);
        await helmPull(helm, 'demo/demo-app', '1.0.0', workDir);
      }
      const primaryCharts = primary.requests.filter((r) => r.path.endsWith('.tgz')).length;
      const secondaryCharts = secondary.requests.filter((r) => r.path.endsWith('.tgz')).length;

      await dns.resolvable([secondaryName]);
      // Connections Ballast keeps alive would bypass DNS: drop them, as a moved host would.
      await primary.down();
      await primary.up();
      // Past the index's refresh, the DNS floor TTL and, in the first case, staleFor.
      await sleep(2_500);

      // A chart that is not cached yet, per Helm major, plus the cached one.
      const uncached = { 3: ['demo-app', '0.2.0'], 4: ['demo-config', '1.0.0'] } as const;
      for (const major of helmMajors) {
        await using helm = await createHelm(major);
        await helm.run(['repo', 'add', 'demo', `${ballast.url}/demo`]);
        await helmRepoUpdate(helm, 'demo');
        const dest = await mkdtemp(join(workDir, `helm${major}-`));
        const [name, version] = uncached[major];
        assert.equal(await helmPull(helm, `demo/${name}`, version, dest), digestOf(name, version));
        assert.equal(
          await helmPull(helm, 'demo/demo-app', '1.0.0', dest),
          digestOf('demo-app', '1.0.0'),
        );
        await helmRepoUpdate(helm, 'demo');
      }

      const newPrimary = primary.requests.filter((r) => r.path.endsWith('.tgz')).length;
      const newSecondary = secondary.requests.filter((r) => r.path.endsWith('.tgz')).length;
      const stale = await metricValue(ballast.url, 'ballast_dns_stale_answers_total', {
        hostname: primaryName,
      });
      if (warm.expectSecondary) {
        assert.equal(newPrimary, primaryCharts, 'no chart came from the unresolvable primary');
        assert.ok(newSecondary >= secondaryCharts + 2, 'the new charts came from the secondary');
      } else {
        assert.ok(stale > 0, 'the primary was reached through its last known address');
        assert.ok(newPrimary >= primaryCharts + 2, 'the new charts came from the primary');
      }
      await ballast.stop();
    });
  }
});
