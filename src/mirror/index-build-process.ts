import { isBallastError } from '../errors/ballast-error.ts';
import { buildIndex, type IndexBuildJob } from './index-build.ts';

/** Child-process entry: one job in over IPC, one result (or error) out; see run-index-build.ts. */
process.once('message', async (job: IndexBuildJob) => {
  try {
    process.send?.({ ok: true, result: await buildIndex(job) });
  } catch (error) {
    const failure = isBallastError(error)
      ? { code: error.code, details: error.details }
      : { code: 'BALLAST_INDEX_INVALID', details: { source: 'index', reason: String(error) } };
    process.send?.({ ok: false, failure });
  }
});
