import assert from 'node:assert/strict';
import { createReadStream } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import type { HelmIndex } from '../helm/index-parse.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import { checkView, renderView, viewFromQuery, viewKey } from './index-view.ts';
import { etagOf, servedIndexOf, writeServedIndex } from './served-index.ts';

const entry = (name: string, version: string) => ({
  name,
  version,
  urls: [`https://up.example/${name}-${version}.tgz`],
  digest: 'a'.repeat(64),
  description: `chart ${name}`,
});

const index: HelmIndex = {
  apiVersion: 'v1',
  generated: '2025-01-01T00:00:00Z',
  entries: {
    web: ['2.0.0', '1.2.0', '1.1.0-rc.1', '1.0.0', 'v0.9'].map((v) => entry('web', v)),
    db: ['3.0.0'].map((v) => entry('db', v)),
    'odd,name': ['1.0.0'].map((v) => entry('odd,name', v)),
  },
};

async function served(inMemory: boolean) {
  const dir = await mkdtemp(path.join(tmpdir(), 'ballast-view-'));
  const store = await createFsStore({ root: path.join(dir, 'store') });
  const built = await writeServedIndex(index, path.join(dir, 'index.json'));
  const identity = { key: 'repos/t/served-bodies/x.json', digest: built.digest, size: built.bytes };
  await store.putDocument(identity.key, createReadStream(built.file));
  const body = await readFile(built.file);
  const tableJson = await readFile(built.tableFile);
  const table = { key: `${identity.key}.table`, digest: built.digest, size: tableJson.length };
  const servedIndex = servedIndexOf(
    {
      bytes: built.bytes,
      versions: built.versions,
      identity,
      table,
      etag: etagOf(built.digest),
      ...(inMemory ? { body } : {}),
    },
    tableJson,
  );
  return { servedIndex, store, full: JSON.parse(body.toString()) as HelmIndex };
}

for (const inMemory of [true, false]) {
  test(`a view keeps named charts and versions, entries unchanged (${inMemory ? 'held' : 'streamed'} body)`, async () => {
    const { servedIndex, store, full } = await served(inMemory);
    const render = async (query: Record<string, string>) =>
      JSON.parse(
        (await renderView(servedIndex, viewFromQuery(query) ?? {}, store)).toString(),
      ) as HelmIndex;
    const web = await render({ charts: 'web,missing', versions: '>=1.0.0, <2' });
    assert.deepEqual(Object.keys(web.entries), ['web']);
    assert.deepEqual(
      web.entries.web?.map((e) => e.version),
      ['1.2.0', '1.0.0'],
    );
    assert.deepEqual(web.entries.web?.[0], full.entries.web?.[1]);
    assert.equal(web.generated, full.generated);
    const latest = await render({ latest: '1' });
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(latest.entries).map(([c, l]) => [c, l.map((e) => e.version)]),
      ),
      { web: ['2.0.0'], db: ['3.0.0'], 'odd,name': ['1.0.0'] },
    );
    const db = await render({ charts: 'db' });
    assert.deepEqual(db.entries, { db: full.entries.db });
  });
}

test('views are canonical: the same view in any order has one key', () => {
  const a = viewFromQuery({ charts: 'b,a,a', latest: '2' });
  const b = viewFromQuery({ latest: '2', charts: 'a,b' });
  assert.ok(a && b);
  assert.equal(viewKey(a), viewKey(b));
  assert.equal(viewFromQuery({}), undefined);
});

test('hostile or malformed views are refused with BALLAST_VIEW_INVALID', () => {
  const bad: Record<string, unknown>[] = [
    { versions: '' },
    { versions: '>=1 <<2' },
    { latest: '-1' },
    { latest: '1e3' },
    { latest: '10001' },
    { charts: ',' },
    { charts: Array.from({ length: 201 }, (_, i) => `c${i}`).join(',') },
    { charts: 'x'.repeat(251) },
    { charts: ['a', 'b'] },
    JSON.parse('{"__proto__":"x"}') as Record<string, unknown>,
  ];
  for (const query of bad) {
    assert.throws(
      () => viewFromQuery(query),
      (error: unknown) => isBallastError(error, 'BALLAST_VIEW_INVALID'),
      JSON.stringify(query),
    );
  }
  assert.throws(() => checkView({ latest: 0 }), /latest/);
});
