import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { DoctorError } from '../doctor-errors.ts';
import { decodeText, readStream, readTextFile } from './read-input.ts';

const code = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof DoctorError);
    return error.code;
  }
  return undefined;
};

describe('read-input', () => {
  it('accepts UTF-8 text and drops a byte order mark', () => {
    assert.equal(
      decodeText(Buffer.from('\uFEFF.:53 {\r\n\twhoami\n}\n'), 'x'),
      '.:53 {\r\n\twhoami\n}\n',
    );
  });
  it('refuses NUL bytes, control characters and invalid UTF-8', () => {
    assert.equal(
      code(() => decodeText(Buffer.from([0x2e, 0x00]), 'x')),
      'BALLAST_DOCTOR_INPUT_NOT_TEXT',
    );
    assert.equal(
      code(() => decodeText(Buffer.from([0x2e, 0x1b, 0x5b]), 'x')),
      'BALLAST_DOCTOR_INPUT_NOT_TEXT',
    );
    assert.equal(
      code(() => decodeText(Buffer.from([0xff, 0xfe, 0x41]), 'x')),
      'BALLAST_DOCTOR_INPUT_NOT_TEXT',
    );
  });
  it('enforces the size limit on files and streams', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-read-input-'));
    try {
      const file = join(dir, 'big');
      writeFileSync(file, 'x'.repeat(2000));
      assert.equal(
        code(() => readTextFile(file, 'big', 1000)),
        'BALLAST_DOCTOR_INPUT_TOO_LARGE',
      );
      assert.equal(readTextFile(file, 'big', 2000).text.length, 2000);
      assert.equal(
        code(() => readTextFile(join(dir, 'none'))),
        'BALLAST_DOCTOR_INPUT_UNREADABLE',
      );
      assert.equal(
        code(() => readTextFile(dir)),
        'BALLAST_DOCTOR_INPUT_UNREADABLE',
      );
      await assert.rejects(
        readStream(
          Readable.from([Buffer.alloc(600, 0x61), Buffer.alloc(600, 0x61)]),
          '<stdin>',
          1000,
        ),
        (e: unknown) => e instanceof DoctorError && e.code === 'BALLAST_DOCTOR_INPUT_TOO_LARGE',
      );
      assert.equal(
        (await readStream(Readable.from([Buffer.from('ab'), Buffer.from('c')]), '<stdin>')).text,
        'abc',
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
