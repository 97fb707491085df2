import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseChecksumFile } from './checksum-file.ts';

const hash = 'ab'.repeat(32);
const other = 'cd'.repeat(32);
const parse = (text: string, names = ['helm.tar.gz']) =>
  parseChecksumFile(Buffer.from(text), names);

test('the formats release pages use', () => {
  const digest = { digest: `sha256:${hash}` };
  assert.deepEqual(parse(`${hash}\n`), digest, 'bare hash');
  assert.deepEqual(parse(`${hash.toUpperCase()}`), digest, 'upper case');
  assert.deepEqual(parse(`${hash}  helm.tar.gz\n`), digest, 'sha256sum');
  assert.deepEqual(parse(`${hash} *helm.tar.gz\r\n`), digest, 'binary mode, CRLF');
  assert.deepEqual(parse(`${hash}  ./dist/helm.tar.gz`), digest, 'with a folder');
  assert.deepEqual(parse(`SHA256 (helm.tar.gz) = ${hash}`), digest, 'BSD tag');
  assert.deepEqual(
    parse(`# checksums\n${other}  helm.zip\n${hash}  helm.tar.gz\n`),
    digest,
    'the line that names the file among many',
  );
  assert.deepEqual(parse(`${hash}  v3/helm-v3.tgz`, ['helm.tgz', 'helm-v3.tgz']), digest);
});

test('malformed checksum files are refused with the reason', () => {
  const problem = (text: string) => {
    const result = parse(text);
    assert.ok('problem' in result, text);
    return result.problem;
  };
  assert.match(problem(''), /empty/);
  assert.match(problem(`${hash.slice(1)}  helm.tar.gz`), /line 1 .* 64-character hex/);
  assert.match(problem(`${hash.slice(1)}z  helm.tar.gz`), /line 1/);
  assert.match(problem(`${hash}0  helm.tar.gz`), /line 1/);
  assert.match(problem('<html>Not Found</html>'), /line 1/);
  assert.match(problem(`${other}  helm.zip`), /names another file, not helm\.tar\.gz/);
  assert.match(problem(`${hash}\n${other}`), /bare hash must be the only line/);
  assert.match(
    (parseChecksumFile(Buffer.from([0xff, 0xfe, 0x41]), ['x']) as { problem: string }).problem,
    /not UTF-8/,
  );
});

test('a refused checksum file is not quoted back', () => {
  for (const text of ['db_password: hunter2', `${'a'.repeat(64)}  hunter2.tar.gz`]) {
    const parsed = parseChecksumFile(Buffer.from(text), ['helm.tar.gz']);
    assert.ok('problem' in parsed);
    assert.doesNotMatch(parsed.problem, /hunter2/);
  }
});
