import { createReadStream, createWriteStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { constants, createBrotliCompress, createGzip } from 'node:zlib';
import { isBallastError } from '../errors/ballast-error.ts';
import { buildIndex } from './index-build.ts';
import type { ChildTask } from './run-index-build.ts';

/** Child-process entry: one task in over IPC, one result (or error) out; see run-index-build.ts. */
process.once('message', async (task: ChildTask) => {
  try {
    const result = task.kind === 'build' ? await buildIndex(task.job) : await compress(task.file);
    process.send?.({ ok: true, result });
  } catch (error) {
    const failure = isBallastError(error)
      ? { code: error.code, details: error.details }
      : { code: 'BALLAST_INDEX_INVALID', details: { source: 'index', reason: String(error) } };
    process.send?.({ ok: false, failure });
  }
});

async function compress(file: string): Promise<{ gzip: string; brotli: string }> {
  const { size } = await stat(file);
  const gzip = `${file}.gz`;
  const brotli = `${file}.br`;
  await Promise.all([
    pipeline(createReadStream(file), createGzip({ level: 6 }), createWriteStream(gzip)),
    pipeline(
      createReadStream(file),
      createBrotliCompress({
        params: {
          [constants.BROTLI_PARAM_QUALITY]: 5,
          [constants.BROTLI_PARAM_SIZE_HINT]: size,
        },
      }),
      createWriteStream(brotli),
    ),
  ]);
  return { gzip, brotli };
}
