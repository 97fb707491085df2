import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { runBallastCli } from './support/ballast-cli.ts';
import { startStaticServer } from './support/static-server.ts';
import { tempDir } from './support/temp-dir.ts';

// The README's commands work as written, with the config they are shown with.

const root = new URL('../', import.meta.url);
const readme = await readFile(new URL('README.md', root), 'utf8');
const shellLines = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)].flatMap((m) =>
  (m[1] ?? '').split('\n'),
);

test('the README runs the CLI as npx ballast, and local OCI pulls with --plain-http', () => {
  assert.ok(shellLines.some((line) => line.startsWith('npx ballast ')));
  assert.deepEqual(
    shellLines.filter((line) => /^ballast /.test(line)),
    [],
    'a bare `ballast` is not on PATH after npm install',
  );
  const ociPulls = shellLines.filter((line) => /helm pull oci:\/\/127\.0\.0\.1/.test(line));
  assert.ok(ociPulls.length > 0);
  for (const line of ociPulls) assert.match(line, /--plain-http/);
});

test("the README's sync --file example works with the shipped ballast.yaml", async (t) => {
  const shown = /`npx ballast (sync --config ballast\.yaml --file\s+(\S+))`/.exec(readme);
  assert.ok(shown, 'the README shows sync --file with ballast.yaml');
  const args = (shown[1] as string).split(/\s+/);
  const path = (shown[2] as string).split('/').slice(1).join('/');
  // The shipped config's upstream (get.helm.sh) stands in on loopback, by its own override.
  const dir = await tempDir('readme-sync', t);
  await mkdir(join(dir, 'upstream'));
  const archive = Buffer.from('a release archive');
  await writeFile(join(dir, 'upstream', path), archive);
  const hex = createHash('sha256').update(archive).digest('hex');
  await writeFile(join(dir, 'upstream', `${path}.sha256sum`), `${hex}  ${path}\n`);
  await using upstream = await startStaticServer({ root: join(dir, 'upstream') });
  const config = fileURLToPath(new URL('ballast.yaml', root));
  const run = await runBallastCli(
    args.map((arg) => (arg === 'ballast.yaml' ? config : arg)),
    {
      env: {
        BALLAST_FILES__0__UPSTREAMS: `["${upstream.url}"]`,
        BALLAST_STORAGE__FS__PATH: join(dir, 'data'),
      },
    },
  );
  assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
  assert.match(run.stdout, /sync done: 1 items, 1 fetched/);
});
