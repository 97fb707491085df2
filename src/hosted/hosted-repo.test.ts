import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { buildChartArchive } from '../../bench/chart-archive.ts';
import { provFor } from '../../test/support/hosted-repo.ts';
import { parseConfig } from '../config/load-config.ts';
import { isBallastError } from '../errors/ballast-error.ts';
import { type BallastEvents, createEventBus } from '../observability/events.ts';
import { createLogger } from '../observability/logger.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import type { Store } from '../store/store.ts';
import { createHostedRepo } from './hosted-repo.ts';
import { digestOf } from './hosted-uploads.ts';

const actor = { who: 'alice', address: '192.0.2.7' };

function chart(name: string, version: string): Buffer {
  return buildChartArchive({ name, version, targetBytes: 3000 });
}

function hosted(store: Store, repoYaml = '', clock = { now: 1_700_000_000_000 }) {
  const { config } = parseConfig(`repos: [{ name: team, hosted: true${repoYaml} }]`, 'test');
  const events: BallastEvents['audit:write'][] = [];
  const bus = createEventBus();
  bus.on('audit:write', (e) => events.push(e));
  const repo = createHostedRepo({
    repo: config.repos[0] as (typeof config.repos)[number],
    store,
    bus,
    logger: createLogger({ level: 'silent' }),
    limits: config.limits,
    now: () => clock.now,
    sleep: async () => {},
  });
  return { repo, events, clock };
}

const entries = async (repo: ReturnType<typeof hosted>['repo']) =>
  JSON.parse(String((await repo.index()).index.body)).entries as Record<
    string,
    { version: string; digest: string; urls: string[]; created: string }[]
  >;

const code = (expected: string) => (error: unknown) => isBallastError(error, expected as never);

describe('hosted repository', () => {
  test('an upload is in the index, the chart route and the audit trail at once', async () => {
    const store = createMemoryStore();
    const { repo, events } = hosted(store);
    await repo.load();
    const bytes = chart('demo', '1.0.0');
    const stored = await repo.putChart({ chart: bytes }, actor);
    const listed = (await entries(repo)).demo?.[0];
    assert.equal(listed?.version, '1.0.0');
    assert.equal(listed?.digest, digestOf(bytes).slice(7));
    assert.deepEqual(listed?.urls, ['charts/demo-1.0.0.tgz']);
    assert.equal(listed?.created, new Date(1_700_000_000_000).toISOString());
    const index = (await repo.index()).index;
    assert.deepEqual(JSON.parse(String(index.body)).serverInfo, { contextPath: '' });
    // Spans point at each chart's version list, as views read them.
    const span = index.spans.get('demo') as readonly [number, number];
    assert.equal(JSON.parse(String(index.body?.subarray(span[0], span[1])))[0].version, '1.0.0');
    assert.equal((await repo.chart('demo-1.0.0.tgz')).digest, stored.digest);
    assert.deepEqual(events, [
      {
        who: 'alice',
        action: 'upload',
        repo: 'team',
        name: 'demo',
        version: '1.0.0',
        digest: stored.digest,
        address: '192.0.2.7',
      },
    ]);
  });

  test('a version that exists is refused (409) unless the overwrite policy lets it be replaced', async () => {
    const store = createMemoryStore();
    const strict = hosted(store).repo;
    await strict.load();
    await strict.putChart({ chart: chart('demo', '1.0.0') }, actor);
    const again = chart('demo', '1.0.0');
    await assert.rejects(
      strict.putChart({ chart: again, force: true }, actor),
      code('BALLAST_CHART_EXISTS'),
    );

    const lenient = hosted(createMemoryStore(), ', overwrite: force').repo;
    await lenient.load();
    await lenient.putChart({ chart: chart('demo', '1.0.0') }, actor);
    const other = buildChartArchive({ name: 'demo', version: '1.0.0', targetBytes: 5000 });
    await assert.rejects(lenient.putChart({ chart: other }, actor), code('BALLAST_CHART_EXISTS'));
    await lenient.putChart({ chart: other, force: true }, actor);
    assert.equal((await entries(lenient)).demo?.[0]?.digest, digestOf(other).slice(7));
    assert.equal((await entries(lenient)).demo?.length, 1);

    const open = hosted(createMemoryStore(), ', overwrite: always').repo;
    await open.load();
    await open.putChart({ chart: chart('demo', '1.0.0') }, actor);
    await open.putChart({ chart: other }, actor);
    assert.equal((await entries(open)).demo?.[0]?.digest, digestOf(other).slice(7));
  });

  test('keepVersions removes the oldest by semver, never the one just uploaded', async () => {
    const { repo, events } = hosted(createMemoryStore(), ', keepVersions: 2');
    await repo.load();
    for (const v of ['1.0.0', '1.10.0', '1.2.0'])
      await repo.putChart({ chart: chart('demo', v) }, actor);
    assert.deepEqual(
      (await entries(repo)).demo?.map((e) => e.version),
      ['1.10.0', '1.2.0'],
    );
    await repo.putChart({ chart: chart('demo', '0.9.0') }, actor);
    assert.deepEqual(
      (await entries(repo)).demo?.map((e) => e.version),
      ['1.10.0', '0.9.0'],
    );
    assert.deepEqual(
      events.filter((e) => e.action === 'delete').map((e) => e.version),
      ['1.0.0', '1.2.0'],
    );
  });

  test('delete removes the version and its provenance; an unknown version is false', async () => {
    const { repo } = hosted(createMemoryStore());
    await repo.load();
    const bytes = chart('demo', '1.0.0');
    await repo.putChart({ chart: bytes, prov: provFor('demo', '1.0.0', bytes) }, actor);
    assert.match(
      String(await repo.provenance('demo-1.0.0.tgz.prov')),
      /demo-1\.0\.0\.tgz: sha256:/,
    );
    assert.equal(await repo.remove('demo', '1.0.0', actor), true);
    assert.equal(await repo.remove('demo', '1.0.0', actor), false);
    assert.deepEqual(await entries(repo), {});
    await assert.rejects(repo.provenance('demo-1.0.0.tgz.prov'), code('BALLAST_CHART_NOT_FOUND'));
  });

  test('provenance: added later, refused when it signs another chart or digest', async () => {
    const { repo } = hosted(createMemoryStore());
    await repo.load();
    const bytes = chart('demo', '1.0.0');
    await repo.putChart({ chart: bytes }, actor);
    await assert.rejects(
      repo.putProvenance(provFor('demo', '1.0.0', chart('demo', '2.0.0')), actor),
      code('BALLAST_PROVENANCE_INVALID'),
    );
    await assert.rejects(
      repo.putProvenance(provFor('other', '1.0.0', bytes), actor),
      code('BALLAST_HOSTED_VERSION_NOT_FOUND'),
    );
    await assert.rejects(
      repo.putProvenance(Buffer.from('hello'), actor),
      code('BALLAST_PROVENANCE_INVALID'),
    );
    const updated = await repo.putProvenance(provFor('demo', '1.0.0', bytes), actor);
    assert.ok(updated.provenance);
    await assert.rejects(
      repo.putProvenance(provFor('demo', '1.0.0', bytes), actor),
      code('BALLAST_CHART_EXISTS'),
    );
  });

  test('a bad chart or an oversize one changes nothing', async () => {
    const store = createMemoryStore();
    const { repo } = hosted(store, ', maxUploadSize: 4KiB');
    await repo.load();
    await assert.rejects(
      repo.putChart({ chart: Buffer.from('not a tgz') }, actor),
      (e) => isBallastError(e) && e.status === 400,
    );
    const big = buildChartArchive({ name: 'demo', version: '1.0.0', targetBytes: 8000 });
    await assert.rejects(repo.putChart({ chart: big }, actor), code('BALLAST_UPLOAD_TOO_LARGE'));
    assert.deepEqual(await store.listDocuments(''), []);
    assert.equal((await Array.fromAsync(store.listBlobs())).length, 0);
  });

  test('two replicas on one store: simultaneous uploads both land, and each sees the other within a second', async () => {
    const shared = createMemoryStore();
    let conflicts = 0;
    // The shared store, counting the writes refused because the other replica wrote first.
    const store: Store = {
      ...shared,
      putDocument: (key, data, condition) =>
        shared.putDocument(key, data, condition).catch((error: unknown) => {
          if (isBallastError(error, 'BALLAST_STORE_CONFLICT')) conflicts += 1;
          throw error;
        }),
    };
    const clock = { now: 1_700_000_000_000 };
    const a = hosted(store, '', clock).repo;
    const b = hosted(store, '', clock).repo;
    await Promise.all([a.load(), b.load()]);
    await Promise.all([
      ...['1.0.0', '1.1.0', '1.2.0'].map((v) => a.putChart({ chart: chart('alpha', v) }, actor)),
      ...['1.0.0', '1.1.0', '1.2.0'].map((v) => b.putChart({ chart: chart('beta', v) }, actor)),
    ]);
    assert.ok(conflicts > 0, 'the replicas never wrote over each other');
    clock.now += 1000;
    for (const replica of [a, b]) {
      const seen = await entries(replica);
      assert.equal(seen.alpha?.length, 3);
      assert.equal(seen.beta?.length, 3);
    }
    // Within the second, a new upload through A is found by B's chart route all the same.
    await a.putChart({ chart: chart('gamma', '0.1.0') }, actor);
    assert.ok(await b.chart('gamma-0.1.0.tgz'));
    const third = hosted(store, '', clock).repo;
    await third.load();
    assert.equal((await entries(third)).gamma?.length, 1);
  });

  test('an unreadable catalogue refuses writes instead of replacing it', async () => {
    const store = createMemoryStore();
    await store.putDocument('repos/team/hosted-catalogue', '{"format":"something else"}');
    const { repo } = hosted(store);
    await repo.load();
    assert.equal(repo.status().ready, false);
    await assert.rejects(
      repo.putChart({ chart: chart('demo', '1.0.0') }, actor),
      code('BALLAST_HOSTED_CATALOGUE_INVALID'),
    );
    assert.equal(
      String(await store.getDocument('repos/team/hosted-catalogue')),
      '{"format":"something else"}',
    );
  });
});
