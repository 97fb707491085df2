import { fork } from 'node:child_process';
import { BallastError, type ErrorDetails } from '../errors/ballast-error.ts';
import type { ErrorCode } from '../errors/catalogue.ts';
import type { IndexBuildJob, IndexBuildResult } from './index-build.ts';

type Reply =
  | { ok: true; result: IndexBuildResult }
  | { ok: false; failure: { code: ErrorCode; details: ErrorDetails } };

const entry = new URL('./index-build-process.ts', import.meta.url);

/**
 * Runs one index build in a short-lived child process. Parsing a large YAML index creates
 * hundreds of MB of short-lived objects; a process returns all of it to the system when it
 * exits, where a worker thread's memory stays in the server's resident set (measured on a
 * 10,000-version index: 129 MB RSS with a process, 180-260 MB with a worker thread). It also
 * keeps a large parse from blocking requests.
 */
export function runIndexBuild(job: IndexBuildJob): Promise<IndexBuildResult> {
  return new Promise((resolve, reject) => {
    const child = fork(entry, [], {
      serialization: 'advanced',
      execArgv: [],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    child.once('message', (reply: Reply) => {
      settled = true;
      if (reply.ok) resolve(reply.result);
      else reject(new BallastError(reply.failure.code, reply.failure.details));
      child.disconnect();
    });
    child.once('error', (error) => {
      settled = true;
      reject(error);
    });
    child.once('exit', (code, signal) => {
      if (!settled)
        reject(new Error(`index build process exited (${signal ?? code}) before answering`));
    });
    child.send(job);
  });
}
