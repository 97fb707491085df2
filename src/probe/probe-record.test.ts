import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseUpstreamTarget } from '../doctor/upstream/upstream-target.ts';
import { createFsStore } from '../store/fs/fs-store.ts';
import { loadRecord, recordKey, saveRecord } from './probe-record.ts';
import type { ProbeTarget } from './probe-targets.ts';

const target = (url: string): ProbeTarget => ({
  subject: { kind: 'repo', name: 'stable' },
  position: 0,
  url,
  target: parseUpstreamTarget(url, {}),
});

test('a damaged record, or one of another upstream, is ignored rather than trusted', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'ballast-probe-record-'));
  const store = await createFsStore({ root: dir });
  try {
    const a = target('https://a.example/');
    await saveRecord(store, a, {
      url: a.url,
      status: { state: 'down', since: 1, stage: 'dns', code: 'upstream-dns-failed' },
      history: [{ health: 'down', from: 1, to: 2 }],
    });
    assert.equal((await loadRecord(store, a))?.status.state, 'down');
    // The config now has another upstream in that position.
    assert.equal(await loadRecord(store, target('https://b.example/')), undefined);
    for (const garbage of [
      '{"url":',
      '[]',
      '{"url":"https://a.example/","history":{}}',
      '\u0000',
    ]) {
      await store.putDocument(recordKey(a), garbage);
      assert.equal(await loadRecord(store, a), undefined, garbage);
    }
  } finally {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  }
});
