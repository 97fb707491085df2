import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { catalogueChart, serializeCatalogue } from '../src/hosted/hosted-catalogue.ts';
import type { HostedVersion } from '../src/hosted/hosted-writes.ts';
import { createFsStore } from '../src/store/fs/fs-store.ts';
import { storeKeys } from '../src/store/store-keys.ts';
import { hashToken } from '../test/support/auth-ballast.ts';
import { startBallastProcess } from '../test/support/ballast.ts';
import { cmPush } from '../test/support/cm-push.ts';
import { httpRequest } from '../test/support/http.ts';
import { helmIndexHeaders } from './bench-setup.ts';
import { buildChartArchive } from './chart-archive.ts';

/**
 * `npm run bench:hosted`: upload-to-visible in a hosted repository that holds many charts
 * (10,000 by default): the time from the start of a `cm-push`-style upload until an index GET
 * with Helm's exact headers lists the new chart, and what the upload and that GET take alone.
 * The catalogue is seeded in the store before Ballast starts (uploading 10,000 charts one by
 * one would measure the seeding, not the upload).
 */
const { values } = parseArgs({
  options: {
    charts: { type: 'string', default: '10000' },
    uploads: { type: 'string', default: '30' },
  },
});
const chartCount = Number(values.charts);
const uploads = Number(values.uploads);

const dir = await mkdtemp(join(tmpdir(), 'ballast-bench-hosted-'));
const dataDir = join(dir, 'data');
const store = await createFsStore({ root: dataDir });
const charts = new Map();
for (let i = 0; i < chartCount; i++) {
  const name = `chart-${String(i).padStart(5, '0')}`;
  const version: HostedVersion = {
    name,
    version: '1.0.0',
    digest: `sha256:${i.toString(16).padStart(64, '0')}`,
    size: 4096,
    created: new Date(1_750_000_000_000 + i * 1000).toISOString(),
    metadata: {
      apiVersion: 'v2',
      name,
      version: '1.0.0',
      appVersion: '1.0.0',
      description: 'Benchmark chart with an incompressible payload',
      type: 'application',
    },
  };
  charts.set(name, catalogueChart(name, [version]));
}
await store.putDocument(storeKeys.hostedCatalogue('team'), serializeCatalogue({ charts }));
await store.close();

const ci = await hashToken('ci');
const ballast = await startBallastProcess(
  {
    auth: { tokens: [ci.entry] },
    repos: [{ name: 'team', hosted: true, access: { write: ['ci'] } }],
  },
  { dataDir },
);
const indexUrl = `${ballast.url}/team/index.yaml`;
const api = `${ballast.url}/api/team/charts`;
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

try {
  const first = await httpRequest(indexUrl, { headers: helmIndexHeaders });
  const visible: number[] = [];
  const posts: number[] = [];
  const gets: number[] = [];
  for (let i = 0; i < uploads; i++) {
    const name = `fresh-${i}`;
    const data = buildChartArchive({ name, version: '1.0.0', targetBytes: 4096 });
    const started = performance.now();
    const pushed = await cmPush(
      api,
      { chart: { name: `${name}-1.0.0.tgz`, data } },
      {
        authorization: `Bearer ${ci.token}`,
      },
    );
    const posted = performance.now();
    if (pushed.status !== 201) throw new Error(`upload ${name}: ${pushed.status} ${pushed.body}`);
    for (let tries = 0; ; tries++) {
      const got = await httpRequest(indexUrl, { headers: helmIndexHeaders });
      if (got.body.includes(`"${name}":`)) break;
      if (tries > 100) throw new Error(`${name} never became visible`);
    }
    const seen = performance.now();
    visible.push(seen - started);
    posts.push(posted - started);
    gets.push(seen - posted);
  }
  const report = (label: string, list: number[]) => {
    const sorted = [...list].sort((a, b) => a - b);
    const f = (n: number) => n.toFixed(1);
    return `${label}: median ${f(quantile(sorted, 0.5))} ms, p90 ${f(quantile(sorted, 0.9))} ms, max ${f(sorted.at(-1) ?? Number.NaN)} ms`;
  };
  process.stdout.write(
    [
      `hosted repository with ${chartCount} charts (index ${(first.body.length / 1e6).toFixed(1)} MB), ${uploads} uploads`,
      report('upload-to-visible', visible),
      report('  the upload POST', posts),
      report('  the index GET that lists it', gets),
      `target: upload-to-visible < 100 ms: ${
        quantile(
          [...visible].sort((a, b) => a - b),
          0.5,
        ) < 100
          ? 'met'
          : 'MISSED'
      } (median)`,
      '',
    ].join('\n'),
  );
} finally {
  await ballast.stop();
  await rm(dir, { recursive: true, force: true });
}
