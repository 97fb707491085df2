import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { runBallastCli, writeBallastConfig } from './support/ballast-cli.ts';
import { tempDir } from './support/temp-dir.ts';

// Every command reports an error the one way docs/errors.md promises: `ballast: CODE: message`.

test('sync, import, export, doctor and serve print errors as ballast: CODE: message', async (t) => {
  const dir = await tempDir('cli-errors', t);
  const config = await writeBallastConfig(dir, 'c', {
    storage: { fs: { path: join(dir, 'data') } },
  });
  await writeFile(join(dir, 'not-a-bundle.tar'), 'plain text');
  const cases: [string[], number, RegExp][] = [
    [
      ['sync', '--config', join(dir, 'missing.yaml'), '--all'],
      2,
      /^ballast: BALLAST_CONFIG_UNREADABLE: config: cannot read .*missing\.yaml: ENOENT$/,
    ],
    [
      ['sync', '--config', config, '--repo', 'nope'],
      2,
      /^ballast: BALLAST_SYNC_SELECTOR_INVALID: /,
    ],
    [
      ['import', '--config', config, join(dir, 'not-a-bundle.tar')],
      1,
      /^ballast: BALLAST_BUNDLE_INVALID: bundle .* refused: /,
    ],
    [
      ['export', '--config', config, '--out', join(dir, 'b.tar'), '--repo', 'nope'],
      2,
      /^ballast: BALLAST_REPO_NOT_FOUND: no repository named nope$/,
    ],
    [
      ['doctor', 'dns', '--corefile', join(dir, 'no-Corefile')],
      2,
      /^ballast: BALLAST_DOCTOR_INPUT_UNREADABLE: /,
    ],
    [['serve', '--config', join(dir, 'missing.yaml')], 1, /^ballast: BALLAST_CONFIG_UNREADABLE: /],
  ];
  for (const [args, code, line] of cases) {
    const run = await runBallastCli(args, { timeoutMs: 60_000 });
    assert.equal(run.code, code, `${args.join(' ')}\n${run.stderr}`);
    assert.match(run.stderr.split('\n')[0] as string, line, args.join(' '));
  }
});

test('command-line mistakes are BALLAST_USAGE and exit 2, in every command', async () => {
  for (const args of [
    ['sync', '--nope'],
    ['import', '--nope', 'x'],
    ['export', '--out', 'x.tar', '--nope'],
    ['doctor', 'dns', '--nope'],
    ['serve', '--nope'],
  ]) {
    const run = await runBallastCli(args);
    assert.equal(run.code, 2, args.join(' '));
    assert.equal(run.stderr.split('\n')[0], "ballast: BALLAST_USAGE: unknown option '--nope'");
  }
  const missing = await runBallastCli(['import']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /^ballast: BALLAST_USAGE: missing required argument 'bundle'/);
  const version = await runBallastCli(['--version']);
  assert.equal(version.code, 0);
});
