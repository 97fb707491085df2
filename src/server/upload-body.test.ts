import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { isBallastError } from '../errors/ballast-error.ts';
import { multipartBoundary, parseMultipartForm, readUploadBody } from './upload-body.ts';

const form = (boundary: string, parts: string[]) =>
  Buffer.from(`${parts.map((p) => `--${boundary}\r\n${p}\r\n`).join('')}--${boundary}--\r\n`);
const invalid = (error: unknown) => isBallastError(error, 'BALLAST_UPLOAD_INVALID');
const typeOf = (boundary: string) => `multipart/form-data; boundary=${boundary}`;

test('a form as Go writes it: fields by name, the filename without its folder, escapes undone', async () => {
  const body = form('b0undary', [
    'Content-Disposition: form-data; name="chart"; filename="/tmp/helm-push-1/demo-1.0.0.tgz"\r\nContent-Type: application/octet-stream\r\n\r\nCHART\r\n--b0und',
    'Content-Disposition: form-data; name="prov"; filename="a \\"q\\".prov"\r\n\r\nPROV',
  ]);
  const fields = await parseMultipartForm(body, typeOf('b0undary'));
  assert.equal(String(fields.get('chart')?.data), 'CHART\r\n--b0und');
  assert.equal(fields.get('chart')?.fileName, 'demo-1.0.0.tgz');
  assert.equal(fields.get('prov')?.fileName, 'a "q".prov');
  assert.equal(multipartBoundary('multipart/form-data; boundary="a b"'), 'a b');
  assert.equal(multipartBoundary('application/gzip'), undefined);
  assert.throws(() => multipartBoundary('multipart/form-data'), invalid);
});

test('truncated, misframed or endless forms are refused', async () => {
  const whole = form('xyz', ['Content-Disposition: form-data; name="chart"\r\n\r\nDATA']);
  // The CRLF after the closing delimiter is optional (RFC 2046); anything shorter is cut.
  for (const cut of [3, 6, 12, whole.length - 20]) {
    await assert.rejects(
      parseMultipartForm(whole.subarray(0, whole.length - cut), typeOf('xyz')),
      invalid,
      `cut ${cut}`,
    );
  }
  await assert.rejects(parseMultipartForm(Buffer.from('no form here'), typeOf('xyz')), invalid);
  await assert.rejects(
    parseMultipartForm(Buffer.from('--xyz\r\nno headers end'), typeOf('xyz')),
    invalid,
  );
  const many = form(
    'xyz',
    Array.from({ length: 40 }, (_, i) => `Content-Disposition: form-data; name="f${i}"\r\n\r\nx`),
  );
  await assert.rejects(parseMultipartForm(many, typeOf('xyz')), invalid);
});

test('bodies are cut at the limit, declared or not', async () => {
  const chunks = () => Readable.from([Buffer.alloc(600), Buffer.alloc(600)]);
  const tooLarge = (error: unknown) => isBallastError(error, 'BALLAST_UPLOAD_TOO_LARGE');
  await assert.rejects(readUploadBody(chunks(), undefined, 1000), tooLarge);
  // A declared length past the limit is refused before a byte is read.
  await assert.rejects(readUploadBody(chunks(), '5000', 1000), tooLarge);
  assert.equal((await readUploadBody(chunks(), undefined, 1200)).length, 1200);
});
