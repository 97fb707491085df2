import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cliJson, runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { buildClassicRepo, type ClassicRepo } from './support/classic-repo.ts';
import { type StaticServer, startStaticServer } from './support/static-server.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// `ballast sync` through the real CLI against a real Helm repository (made with real Helm).

interface SyncJson {
  ok: boolean;
  interrupted: boolean;
  counts: Record<string, number>;
  items: { kind: string; source: string; name: string; status: string; error?: { code: string } }[];
}

const chartPath = (file: string) => `/${file}`;

describe('ballast sync', () => {
  let work: string;
  let repo: ClassicRepo;
  let upstream: StaticServer;
  let dataCount = 0;

  before(async () => {
    work = await tempDir('sync');
    repo = await buildClassicRepo(join(work, 'repo'), {
      charts: [
        { chart: 'demo-app', versions: ['0.1.0', '0.2.0', '1.0.0', '1.1.0'] },
        { chart: 'demo-config', versions: ['1.0.0', '2.0.0'] },
      ],
    });
    upstream = await startStaticServer({ root: repo.dir });
  });

  after(async () => {
    await upstream?.stop();
    if (work) await removeDir(work);
  });

  async function freshConfig(extra: Record<string, unknown> = {}) {
    dataCount += 1;
    const data = join(work, `data-${dataCount}`);
    const config = await writeBallastConfig(work, `config-${dataCount}`, {
      storage: { fs: { path: data } },
      repos: [{ name: 'demo', upstreams: [{ url: upstream.url }] }],
      ...extra,
    });
    return { config, data };
  }

  const chartRequests = (file: string) =>
    upstream.requests.filter((r) => r.path === chartPath(file)).length;

  test('--chart NAME@RANGE syncs the matching versions only, with a JSON report', async () => {
    const { config } = await freshConfig();
    const run = await runBallastCli([
      ...['sync', '--config', config, '--chart', 'demo/demo-app@>=0.2.0 <1.1.0', '--json'],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = cliJson<SyncJson>(run);
    const charts = result.items.filter((i) => i.kind === 'chart').map((i) => i.name);
    assert.deepEqual(charts.sort(), ['demo-app-0.2.0.tgz', 'demo-app-1.0.0.tgz']);
    assert.deepEqual(result.counts, { fetched: 3, cached: 0, absent: 0, stale: 0, failed: 0 });
    assert.equal(result.ok, true);
  });

  test('--provenance: a chart without a .prov upstream is reported, not failed', async () => {
    const { config } = await freshConfig();
    const run = await runBallastCli([
      ...['sync', '--config', config, '--chart', 'demo/demo-config', '--provenance', '--json'],
    ]);
    assert.equal(run.code, 0, run.stderr);
    const result = cliJson<SyncJson>(run);
    assert.equal(result.counts.absent, 2);
    assert.deepEqual(
      result.items
        .filter((i) => i.kind === 'provenance')
        .map((i) => i.name)
        .sort(),
      ['demo-config-1.0.0.tgz.prov', 'demo-config-2.0.0.tgz.prov'],
    );
    // The upstream's 404s are expected: the summary reports them, no log line each.
    assert.equal(run.stderr, '');
  });

  test('a failed item makes the exit code non-zero; the summary names it', async () => {
    const { config } = await freshConfig();
    upstream.setFault(chartPath('demo-config-2.0.0.tgz'), { status: 404 });
    try {
      const run = await runBallastCli([
        ...['sync', '--config', config, '--chart', 'demo-config', '--chart', 'nope@1'],
      ]);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /sync done: 4 items, 2 fetched, 0 already in the store, 2 failed/);
      assert.match(
        run.stdout,
        /FAILED chart demo\/demo-config-2\.0\.0\.tgz: BALLAST_UPSTREAM_STATUS/,
      );
      assert.match(run.stdout, /FAILED chart .*nope@1: BALLAST_CHART_NOT_FOUND/);
    } finally {
      upstream.setFault(chartPath('demo-config-2.0.0.tgz'), undefined);
    }
  });

  test('usage errors exit 2 before anything is fetched', async () => {
    const { config } = await freshConfig();
    const before = upstream.requests.length;
    for (const args of [
      ['--repo', 'unknown'],
      ['--chart', 'demo-app@not a range'],
      ['--file', 'nope/x.tar.gz'],
      [],
    ]) {
      const run = await runBallastCli(['sync', '--config', config, ...args]);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /BALLAST_SYNC_SELECTOR_INVALID/);
    }
    assert.equal(upstream.requests.length, before);
  });

  test('interrupted with SIGINT, it resumes without fetching again what it stored', async () => {
    const { config, data } = await freshConfig();
    const files = repo.charts.map((c) => `${c.name}-${c.version}.tgz`);
    for (const file of files) upstream.setFault(chartPath(file), { delayMs: 300 });
    const before = new Map(files.map((file) => [file, chartRequests(file)]));
    const blobs = async () =>
      (await readdir(join(data, 'blobs', 'sha256'), { recursive: true })).filter((p) =>
        /[0-9a-f]{64}$/.test(p),
      ).length;
    let first: Awaited<ReturnType<typeof runBallastCli>>;
    try {
      first = await runBallastCli(
        ['sync', '--config', config, '--repo', 'demo', '--concurrency', '1', '--json'],
        {
          onSpawn: (pid) => {
            const deadline = Date.now() + 30_000;
            const check = async () => {
              const stored = await blobs().catch(() => 0);
              if (stored >= 2 || Date.now() > deadline) process.kill(pid, 'SIGINT');
              else setTimeout(check, 20);
            };
            check();
          },
        },
      );
    } finally {
      for (const file of files) upstream.setFault(chartPath(file), undefined);
    }
    assert.equal(first.code, 130, first.stderr);
    const interrupted = cliJson<SyncJson>(first);
    assert.equal(interrupted.interrupted, true);
    const storedFirst = interrupted.items.filter(
      (i) => i.kind === 'chart' && i.status === 'fetched',
    );
    assert.ok(storedFirst.length >= 2 && storedFirst.length < files.length, first.stdout);
    // The items in flight at the interruption finished: none failed, nothing is an internal error.
    assert.deepEqual(
      interrupted.items.filter((i) => i.status === 'failed'),
      [],
    );
    assert.doesNotMatch(first.stderr, /BALLAST_INTERNAL/);
    assert.match(first.stderr, /SIGINT: stopping after the items in flight/);

    const second = await runBallastCli(['sync', '--config', config, '--repo', 'demo', '--json']);
    assert.equal(second.code, 0, second.stderr);
    const resumed = cliJson<SyncJson>(second);
    assert.equal(resumed.counts.cached, storedFirst.length);
    assert.equal(resumed.counts.fetched, 1 + files.length - storedFirst.length);
    for (const item of storedFirst) {
      assert.equal(
        chartRequests(item.name) - (before.get(item.name) ?? 0),
        1,
        `${item.name} was fetched once in all`,
      );
    }
  });

  test('on a terminal it draws a progress bar, then the summary', async () => {
    const { config } = await freshConfig();
    const main = fileURLToPath(new URL('../bin/ballast.js', import.meta.url));
    const command = [process.execPath, main, 'sync', '--config', config, '--repo', 'demo']
      .map((arg) => `'${arg.replace(/'/g, `'\\''`)}'`)
      .join(' ');
    let output: string;
    try {
      // util-linux `script` gives the command a pseudo-terminal, as a person's shell would.
      // Not execFileSync: the upstream answering it runs in this very process.
      ({ stdout: output } = await promisify(execFile)('script', ['-qec', command, '/dev/null'], {
        encoding: 'utf8',
        timeout: 60_000,
      }));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT')
        throw new Error('`script` is missing: install the Debian package bsdutils (util-linux)');
      throw error;
    }
    // Carriage return and "erase line", then the bar: redrawn in place.
    assert.ok(/\[#+\.*\] \d+\/\d+/.test(output), output);
    assert.ok(output.includes('\r\u001b[2K['), 'the bar is redrawn in place');
    assert.match(output, /sync done: 7 items, 7 fetched/);
    await rm(join(work, `data-${dataCount}`), { recursive: true, force: true });
  });
});
