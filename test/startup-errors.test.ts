import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { storeSnapshot } from './support/store-snapshot.ts';
import { tempDir } from './support/temp-dir.ts';
import { mountTmpfs } from './support/tmpfs.ts';

/** `serve` that fails to start: one line naming the key, the value and the cause; exit 1. */
async function serveFails(dir: string, config: Record<string, unknown>) {
  const file = await writeBallastConfig(dir, 'serve', config);
  const run = await runBallastCli(['serve', '--config', file], { timeoutMs: 30_000 });
  assert.equal(run.code, 1, `exit code\n${run.stdout}\n${run.stderr}`);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `one line, no stack:\n${run.stderr}`);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  return lines[0] as string;
}

test('serve on a port another process holds names listen, the address and EADDRINUSE; the store is untouched', async (t) => {
  const dir = await tempDir('startup-port', t);
  const data = join(dir, 'data');
  await mkdir(join(data, 'docs', 'repos'), { recursive: true });
  await writeFile(join(data, 'docs', 'repos', 'kept'), 'stored before');
  const holder = createServer();
  await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
  t.after(() => holder.close());
  const { port } = holder.address() as { port: number };
  const before = await storeSnapshot(data);
  const line = await serveFails(dir, {
    listen: `127.0.0.1:${port}`,
    storage: { fs: { path: data } },
  });
  assert.match(
    line,
    new RegExp(
      `^ballast: BALLAST_LISTEN_FAILED: listen: cannot listen on 127\\.0\\.0\\.1:${port}: address already in use.*\\(EADDRINUSE\\)$`,
    ),
  );
  assert.deepEqual(await storeSnapshot(data), before, 'nothing stored changed, no tmp folder left');
});

test('serve on an address no interface of this machine has names listen and EADDRNOTAVAIL', async (t) => {
  const dir = await tempDir('startup-addr', t);
  // TEST-NET-3 (RFC 5737): binding fails locally, no packet is sent anywhere.
  const line = await serveFails(dir, {
    listen: '203.0.113.7:0',
    storage: { fs: { path: join(dir, 'data') } },
  });
  assert.match(
    line,
    /^ballast: BALLAST_LISTEN_FAILED: listen: cannot listen on 203\.0\.113\.7:0: .*\(EADDRNOTAVAIL\)$/,
  );
});

test('serve on a host name that cannot resolve names listen and the host', async (t) => {
  const dir = await tempDir('startup-host', t);
  // A 64-character label is refused by the resolver library itself: no DNS query leaves.
  const host = `${'x'.repeat(64)}.invalid`;
  const line = await serveFails(dir, {
    listen: `${host}:0`,
    storage: { fs: { path: join(dir, 'data') } },
  });
  assert.match(
    line,
    new RegExp(
      `^ballast: BALLAST_LISTEN_FAILED: listen: cannot listen on ${host}:0: the host name does not resolve \\(ENOTFOUND\\)$`,
    ),
  );
});

test('config check and serve refuse a port past 65535, naming listen and the value', async (t) => {
  const dir = await tempDir('startup-range', t);
  const line = await serveFails(dir, { listen: '127.0.0.1:99999' });
  assert.equal(
    line,
    'ballast: BALLAST_CONFIG_INVALID: config: listen: expected a port from 0 to 65535, got "127.0.0.1:99999"',
  );
  const check = await runBallastCli(['config', 'check', join(dir, 'serve.yaml')]);
  assert.equal(check.code, 1);
  assert.equal(check.stderr, `${line}\n`);
});

test('serve on a read-only data directory says EROFS, naming storage.fs.path; nothing stored changes', async (t) => {
  const dir = await tempDir('startup-ro', t);
  await using disk = await mountTmpfs(join(dir, 'disk'), { size: '4m' });
  const data = join(disk.dir, 'data');
  await mkdir(join(data, 'docs', 'repos'), { recursive: true });
  await writeFile(join(data, 'docs', 'repos', 'kept'), 'stored before');
  await disk.remount({ readOnly: true });
  const before = await storeSnapshot(data);
  for (const path of [data, join(disk.dir, 'missing', 'data')]) {
    const line = await serveFails(dir, { storage: { fs: { path } } });
    assert.equal(
      line,
      `ballast: BALLAST_STORAGE_UNUSABLE: storage.fs.path: cannot use ${path} as the store: read-only file system (EROFS)`,
    );
  }
  assert.deepEqual(await storeSnapshot(data), before);
});

test('serve on a data directory that is a file says so, naming storage.fs.path', async (t) => {
  const dir = await tempDir('startup-file', t);
  await writeFile(join(dir, 'a-file'), 'not a folder');
  const path = join(dir, 'a-file', 'data');
  const line = await serveFails(dir, { storage: { fs: { path } } });
  assert.equal(
    line,
    `ballast: BALLAST_STORAGE_UNUSABLE: storage.fs.path: cannot use ${path} as the store: not a directory (ENOTDIR)`,
  );
});

test('config check refuses what serve cannot use, naming the key', async (t) => {
  const dir = await tempDir('startup-check', t);
  const cases: [Record<string, unknown>, string][] = [
    [
      { resilience: { deadline: 0 } },
      'resilience.deadline: expected a duration greater than 0, got 0',
    ],
    [
      {
        repos: [
          {
            name: 'a',
            charts: ['x'],
            upstreams: [{ url: 'oci://127.0.0.1:5000/Charts', plainHttp: true }],
          },
        ],
      },
      'repos[0].upstreams[0].url: expected oci://registry/namespace: namespace Charts: components must be lowercase',
    ],
    [
      { log: { level: 'loud' } },
      'log.level: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [{ listen: 8080 }, 'listen: expected a string, got 8080'],
  ];
  for (const [config, expected] of cases) {
    const file = await writeBallastConfig(dir, 'check', config);
    const check = await runBallastCli(['config', 'check', file]);
    assert.equal(check.code, 1, check.stdout);
    assert.ok(
      check.stderr.startsWith(`ballast: BALLAST_CONFIG_INVALID: config: ${expected}`),
      check.stderr,
    );
    const serve = await runBallastCli(['serve', '--config', file], { timeoutMs: 30_000 });
    assert.equal(serve.code, 1);
    assert.equal(serve.stderr, check.stderr, 'serve refuses it with the same words');
  }
});

test('a BALLAST_* variable that addresses a list entry the config lacks names the variable', async (t) => {
  const dir = await tempDir('startup-env', t);
  const file = await writeBallastConfig(dir, 'env', {
    repos: [{ name: 'a', upstreams: [{ url: 'http://127.0.0.1:1/' }] }],
  });
  const check = await runBallastCli(['config', 'check', file], {
    env: { BALLAST_REPOS__5__NAME: 'b' },
  });
  assert.equal(check.code, 1);
  assert.equal(
    check.stderr,
    'ballast: BALLAST_CONFIG_INVALID: config: BALLAST_REPOS__5__NAME: repos has 1 entry, index 5 does not exist (value "b")\n',
  );
  const level = await runBallastCli(['config', 'check', file], {
    env: { BALLAST_LOG__LEVEL: 'loud' },
  });
  assert.match(
    level.stderr,
    /log\.level: expected one of .*, got "loud" \(from BALLAST_LOG__LEVEL=loud\)/,
  );
});

test('serve, sync and export without a config file refuse to run on an empty configuration', async (t) => {
  const dir = await tempDir('startup-noconfig', t);
  for (const [args, code] of [
    [['serve'], 1],
    [['sync', '--all'], 2],
    [['export', '--out', join(dir, 'bundle.tar')], 2],
  ] as const) {
    const run = await runBallastCli(args, {
      env: { BALLAST_CONFIG: undefined },
      timeoutMs: 30_000,
    });
    assert.equal(run.code, code, run.stderr);
    assert.equal(
      run.stderr,
      `ballast: BALLAST_CONFIG_MISSING: no config file: pass --config FILE or set BALLAST_CONFIG; without one, ballast ${args[0]} would run with no repositories and no file mirrors\n`,
    );
  }
});
