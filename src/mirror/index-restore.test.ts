import assert from 'node:assert/strict';
import { Readable, Writable } from 'node:stream';
import { test } from 'node:test';
import {
  fakeUpstream,
  mirrorWorld,
  until as untilWithin,
} from '../../test/support/mirror-world.ts';
import { createLogger } from '../observability/logger.ts';
import { createMemoryStore } from '../store/memory/memory-store.ts';
import type { Store } from '../store/store.ts';
import { storeKeys } from '../store/store-keys.ts';
import { type ServedIndex, type StoredServedIndex, smallIndexBytes } from './served-index.ts';

/** A mirror's served index keeps its body and table in the store. */
function storedOf(index: ServedIndex): StoredServedIndex {
  assert.ok(index.identity && 'table' in index, 'a mirror index is stored');
  return index as StoredServedIndex;
}

// A restart serves a large stored index after reading only its small documents; its bodies
// are checked right behind the first requests (src/mirror/served-slot.ts).

const upstreamUrl = 'https://charts.example.test/stable';
// Enough versions that the served body is larger than an index held in memory.
const versions = 56_000;

/**
 * A memory store whose reads of served bodies and tables wait while held, and whose next
 * `failingStreams` streams of a served body break after their first bytes.
 */
function gatedStore() {
  const store = createMemoryStore();
  const bodies = `${storeKeys.servedBodies('stable')}/`;
  let release: () => void = () => {};
  let gate: Promise<void> | undefined;
  const state = {
    store,
    bodyReads: 0,
    failingStreams: 0,
    hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
  const isBody = (key: string) => key.startsWith(bodies);
  const waitIfBody = async (key: string) => {
    if (!isBody(key)) return;
    state.bodyReads += 1;
    await gate;
  };
  const gated: Store = Object.create(store);
  gated.getDocument = async (key) => {
    await waitIfBody(key);
    return store.getDocument(key);
  };
  gated.openDocument = async (key) => {
    await waitIfBody(key);
    if (!isBody(key) || state.failingStreams === 0) return store.openDocument(key);
    state.failingStreams -= 1;
    return Readable.from(
      (async function* () {
        yield Buffer.from('{"apiVersion":"v1"');
        throw new Error('read ECONNRESET');
      })(),
    );
  };
  return Object.assign(state, { gated });
}

/** Up to a minute: a build of this index is slow on a busy machine. */
const until = (done: () => boolean, what: string) => untilWithin(done, what, 60);

function logLines() {
  const lines: { msg: string; reason?: string }[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { lines, logger: createLogger({ level: 'warn', stream }) };
}

/** A world that served the large index once and stored its compressed forms. */
async function servedOnce() {
  const gate = gatedStore();
  const log = logLines();
  const w = mirrorWorld(
    { name: 'stable', upstreams: [{ url: upstreamUrl }] },
    { store: gate.gated, logger: log.logger },
  );
  const first = w.mirror([fakeUpstream(w.store, upstreamUrl, { versions, etag: '"v1"' })]);
  await first.load();
  const { index } = await first.index();
  assert.ok(index.bytes > smallIndexBytes, `${index.bytes} bytes: a body that streams`);
  const formKey = storeKeys.servedForm('stable');
  await until(() => index.compressed !== undefined, 'the compressed forms');
  // The form is stored again once the forms are: wait for that write.
  for (let i = 0; i < 500; i++) {
    if (String(await gate.store.getDocument(formKey)).includes('brotli')) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const body = (await gate.store.getDocument(storedOf(index).identity.key)) as Buffer;
  return { w, gate, log, index, body };
}

test('a restart serves a large stored index before reading its body, table or compressed forms', async () => {
  const { w, gate, log, index, body } = await servedOnce();
  gate.hold();
  gate.bodyReads = 0;
  const restarted = w.mirror([fakeUpstream(w.store, upstreamUrl, 'fail')]);
  await restarted.load();
  assert.equal(restarted.status().loading, false, 'ready before any body is read');
  const view = await restarted.index(undefined, { table: false });
  assert.equal(view.index.etag, index.etag);
  assert.equal(view.index.compressed, undefined, 'identity only until the forms are checked');
  // What needs the chart table (a chart, a view) waits for it.
  let charts: number | undefined;
  const lookup = restarted.index().then((v) => {
    charts = v.index.charts.size;
  });
  await new Promise((resolve) => setTimeout(resolve, 50));
  assert.equal(charts, undefined, 'the chart lookup waits for the table');
  gate.release();
  await lookup;
  assert.equal(charts, versions);
  await until(() => view.index.compressed !== undefined, 'the checked compressed forms');
  assert.ok(gate.bodyReads >= 4, 'table, body and both forms were read behind the first serve');
  assert.deepEqual(await w.store.getDocument(storedOf(view.index).identity.key), body);
  assert.deepEqual(log.lines, [], 'nothing to warn about');
});

test('a stored body altered in the store is found behind the first serve, warned about and rebuilt', async () => {
  const { w, log, index, body } = await servedOnce();
  const altered = Buffer.from(body);
  altered[altered.length - 10] = 0x20;
  await w.store.putDocument(storedOf(index).identity.key, altered);
  const restarted = w.mirror([fakeUpstream(w.store, upstreamUrl, 'fail')]);
  await restarted.load();
  // The window: until the check has hashed the body, the altered bytes are what is stored.
  await until(
    () => log.lines.some((line) => line.msg.includes('failed its check')),
    'the warning about the altered body',
  );
  // From here /-/readyz says loading, and requests wait (bounded) for the rebuild.
  assert.equal(restarted.status().loading, true, 'not ready while it rebuilds');
  await until(() => !restarted.status().loading, 'the rebuild');
  const view = await restarted.index();
  assert.equal(view.index.etag, index.etag);
  assert.deepEqual(await w.store.getDocument(storedOf(view.index).identity.key), body);
  assert.equal(restarted.status().loading, false);
  assert.equal(view.index.versions, versions);
});

test('a stored chart table altered in the store is warned about and rebuilt before charts are looked up in it', async () => {
  const { w, log, index } = await servedOnce();
  const table = (await w.store.getDocument(storedOf(index).table.key)) as Buffer;
  await w.store.putDocument(storedOf(index).table.key, table.subarray(0, table.length - 1));
  const restarted = w.mirror([fakeUpstream(w.store, upstreamUrl, 'fail')]);
  await restarted.load();
  await until(
    () => log.lines.some((line) => line.msg.includes('failed its check')),
    'the warning about the altered table',
  );
  await until(() => !restarted.status().loading, 'the rebuild');
  const view = await restarted.index();
  assert.equal(view.index.charts.get('demo-1.0.7.tgz')?.version, '1.0.7');
  assert.deepEqual(await w.store.getDocument(storedOf(index).table.key), table);
});

test('a body the store fails to read once is read again and found intact: no rebuild', async () => {
  const { w, gate, log, index } = await servedOnce();
  gate.failingStreams = 1;
  const restarted = w.mirror([fakeUpstream(w.store, upstreamUrl, 'fail')]);
  await restarted.load();
  const view = await restarted.index(undefined, { table: false });
  await until(() => view.index.compressed !== undefined, 'the check, done on the second read');
  assert.equal(gate.failingStreams, 0, 'the broken read happened');
  assert.equal(restarted.status().loading, false);
  assert.equal((await restarted.index()).index, view.index, 'the restored index, not a rebuild');
  assert.equal(view.index.etag, index.etag);
  assert.deepEqual(log.lines, [], 'nothing to warn about');
});

test('a body the store keeps failing to read is warned about and served as stored, not rebuilt', async () => {
  const { w, gate, log, index } = await servedOnce();
  gate.failingStreams = 3;
  const restarted = w.mirror([fakeUpstream(w.store, upstreamUrl, 'fail')]);
  await restarted.load();
  const view = await restarted.index(undefined, { table: false });
  await until(() => log.lines.length > 0, 'the warning');
  assert.deepEqual(
    log.lines.map((line) => [line.msg, line.reason]),
    [
      [
        'the stored served index could not be read to check it; it is served as stored',
        `body ${storedOf(index).identity.digest}: read ECONNRESET`,
      ],
    ],
  );
  assert.equal(restarted.status().loading, false, 'no rebuild');
  assert.equal((await restarted.index()).index, view.index);
  assert.equal(view.index.etag, index.etag);
});
