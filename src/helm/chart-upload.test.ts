import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { type TarEntry, tgzOf } from '../../test/support/tar-archive.ts';
import { isBallastError } from '../errors/ballast-error.ts';
import { type ChartUploadOptions, validateChartUpload } from './chart-upload.ts';

const chartYaml = 'apiVersion: v2\nname: demo\nversion: 1.2.3\ndescription: A demo\n';
const chart = (extra: TarEntry[] = [], yaml = chartYaml) =>
  tgzOf([
    { name: 'demo/Chart.yaml', body: yaml },
    { name: 'demo/values.yaml', body: 'replicaCount: 1\n' },
    ...extra,
  ]);

async function refused(bytes: Buffer, pattern: RegExp, options: ChartUploadOptions = {}) {
  await assert.rejects(validateChartUpload(bytes, options), (error: unknown) => {
    assert.ok(isBallastError(error, 'BALLAST_CHART_INVALID'), String(error));
    assert.equal(error.status, 400);
    assert.match(error.message, /^chart refused, nothing was stored: /);
    assert.match(error.message, pattern);
    return true;
  });
}

describe('validateChartUpload', () => {
  it('accepts a chart and returns what the index will say, with a digest of the bytes', async () => {
    const bytes = await chart([{ name: 'demo/templates/cm.yaml', body: 'kind: ConfigMap\n' }]);
    const valid = await validateChartUpload(bytes, { fileName: 'demo-1.2.3.tgz' });
    assert.deepEqual(valid, {
      name: 'demo',
      version: '1.2.3',
      metadata: { apiVersion: 'v2', name: 'demo', version: '1.2.3', description: 'A demo' },
      digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}`,
      size: bytes.length,
    });
  });

  it('refuses an upload over maxBytes with 413', async () => {
    const bytes = await chart();
    await assert.rejects(
      validateChartUpload(bytes, { limits: { maxBytes: bytes.length - 1 } }),
      (error: unknown) =>
        isBallastError(error, 'BALLAST_UPLOAD_TOO_LARGE') &&
        error.status === 413 &&
        error.message.includes(`${bytes.length - 1} bytes`),
    );
  });

  it('refuses a file name that differs from <name>-<version>.tgz', async () => {
    await refused(await chart(), /named "other-1.2.3.tgz".*demo-1.2.3.tgz/, {
      fileName: 'other-1.2.3.tgz',
    });
  });

  it('refuses a version Helm rejects and a name Helm would not package', async () => {
    await refused(await chart([], chartYaml.replace('1.2.3', '1.2.3.4')), /version "1.2.3.4"/);
    await refused(
      await chart([], chartYaml.replace('apiVersion: v2', 'apiVersion: v3')),
      /v1 or v2/,
    );
  });
});
