import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { compareOutcomes } from '../bench/compat-rows.ts';
import { searchRepo } from '../bench/compat-search.ts';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { helmMajors } from './support/helm.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

const digest = 'd'.repeat(64);
const entry = (fields: string) => `  - ${fields}, urls: [x.tgz] }\n`;

/**
 * Small indexes, one per case real repositories publish, each read by real Helm 3 and 4
 * directly and through Ballast: the `search --versions --devel` rows must be the same.
 */
const cases: Record<string, string> = {
  // RKE2, Rancher, IBM: Masterminds coerces leading zeros; numeric pre-releases keep the rule.
  'leading-zeros': `apiVersion: v1
entries:
  cpi:
${['1.13.000', 'v0.24.000', '3.5.0081+1539', '1.2', '01.2.3', '1.0.0-01', '1.0.0-rc.010']
  .map((v) => entry(`{ name: cpi, version: "${v}", digest: ${digest}`))
  .join('')}`,
  // charts.openshift.io: field names in another case, which encoding/json matches.
  'field-case': `apiVersion: v1
entries:
  storage:
  - apiversion: v2
    name: storage
    version: 2.1.2
    appversion: "2.1"
    kubeversion: ">=1.20.0-0"
    Description: object storage
    digest: ${digest}
    urls: [storage-2.1.2.tgz]
`,
  'field-case-json': JSON.stringify({
    apiVersion: 'v1',
    entries: {
      app: [
        {
          name: 'app',
          version: '1.0.0',
          AppVersion: '3.1',
          DESCRIPTION: 'd',
          digest,
          urls: ['a.tgz'],
        },
      ],
    },
  }),
  // A null maintainer skips the entry; duplicate dependency names do not.
  'null-maintainer-duplicate-dependencies': `apiVersion: v1
entries:
  a:
  - { name: a, version: 1.0.0, maintainers: [~], digest: ${digest}, urls: [a.tgz] }
  - { name: a, version: 1.1.0, maintainers: [{ name: ops }], digest: ${digest}, urls: [a.tgz] }
  - name: a
    version: 1.2.0
    dependencies: [{ name: redis, version: 1.x }, { name: redis, version: 2.x }]
    digest: ${digest}
    urls: [a.tgz]
`,
  // A current public repository publishes most entries with an empty digest.
  digests: `apiVersion: v1
entries:
  d:
${entry(`{ name: d, version: 1.0.0, digest: ""`)}${entry('{ name: d, version: 1.1.0')}${entry(
  `{ name: d, version: 1.2.0, digest: "sha256:${digest}"`,
)}${entry(`{ name: d, version: 1.3.0, digest: ${digest}`)}`,
};

describe('real-world index quirks: Helm shows through Ballast what it shows directly', () => {
  let dir: string;
  let upstream: StaticServer;
  let ballast: BallastProcess;
  const numberCase = 'number-app-version';

  before(async () => {
    dir = await tempDir('index-compat');
    for (const [name, text] of Object.entries(cases)) {
      await mkdir(join(dir, name));
      await writeFile(join(dir, name, 'index.yaml'), text);
    }
    await mkdir(join(dir, numberCase));
    await writeFile(
      join(dir, numberCase, 'index.yaml'),
      `apiVersion: v1\nentries:\n  mg:\n${entry(`{ name: mg, version: 0.1.1, appVersion: 1.40, digest: ${digest}`)}`,
    );
    upstream = await startStaticServer({ root: dir });
    ballast = await startBallastProcess({
      repos: [...Object.keys(cases), numberCase].map((name) => ({
        name,
        upstreams: [{ url: `${upstream.url}/${name}` }],
      })),
    });
  });

  after(async () => {
    await ballast?.stop();
    await upstream?.stop();
    await removeDir(dir);
  });

  for (const name of Object.keys(cases)) {
    for (const major of helmMajors) {
      it(`${name}: Helm ${major} lists the same rows`, async () => {
        const direct = await searchRepo(major, `${upstream.url}/${name}`);
        const through = await searchRepo(major, `${ballast.url}/${name}`);
        assert.ok(direct.ok, `Helm ${major} reads the upstream directly`);
        assert.ok(direct.rows.length > 0);
        assert.deepEqual(compareOutcomes(direct, through), {
          kind: 'same',
          rows: direct.rows.length,
        });
      });
    }
  }

  it('leading zeros: every version Helm keeps is listed, as the upstream wrote it', async () => {
    const through = await searchRepo(4, `${ballast.url}/leading-zeros`);
    assert.ok(through.ok);
    assert.deepEqual(through.rows.map((r) => r.version).sort(), [
      '01.2.3',
      '1.13.000',
      '1.2',
      '3.5.0081+1539',
      'v0.24.000',
    ]);
  });

  for (const major of helmMajors) {
    it(`a number as appVersion: Helm ${major} refuses the upstream, reads Ballast's "1.40"`, async () => {
      const direct = await searchRepo(major, `${upstream.url}/${numberCase}`);
      assert.equal(direct.ok, false);
      assert.match(direct.ok ? '' : direct.error, /cannot unmarshal number/);
      const through = await searchRepo(major, `${ballast.url}/${numberCase}`);
      assert.ok(through.ok);
      assert.deepEqual(
        through.rows.map((r) => [r.name, r.version, r.app_version]),
        [['r/mg', '0.1.1', '1.40']],
      );
    });
  }

  it('the repair is logged as a warning and counted', async () => {
    const repaired = ballast.logs().filter((l) => l.event === 'index:entry-repaired');
    assert.ok(
      repaired.some((l) => l.kind === 'number-as-text' && l.level === 40),
      JSON.stringify(repaired),
    );
    const metrics = await (await fetch(`${ballast.url}/metrics`)).text();
    assert.match(
      metrics,
      new RegExp(
        `ballast_index_entries_repaired_total\\{repo="${numberCase}",kind="number-as-text"\\} 1`,
      ),
    );
  });
});
