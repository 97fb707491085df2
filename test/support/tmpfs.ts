import { execFile } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface MountedTmpfs extends AsyncDisposable {
  dir: string;
  /** Mounts it read-only (or back read-write), as a disk remounted after errors is. */
  remount(options: { readOnly: boolean }): Promise<void>;
}

/**
 * A real tmpfs of `size` (e.g. `1m`) mounted on `dir`, read-only when asked, unmounted on
 * dispose: a full or read-only disk as the kernel reports it (ENOSPC, EROFS). Needs root,
 * as the tests run in CI; a failure to mount fails the test with the reason.
 */
export async function mountTmpfs(
  dir: string,
  options: { size: string; readOnly?: boolean },
): Promise<MountedTmpfs> {
  await mkdir(dir, { recursive: true });
  const flags = `${options.readOnly ? 'ro' : 'rw'},size=${options.size},mode=0755`;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', flags, 'tmpfs', dir]);
  } catch (error) {
    throw new Error(
      `cannot mount a tmpfs on ${dir} (these tests need root, as in CI): ${(error as Error).message}`,
    );
  }
  return {
    dir,
    async remount({ readOnly }) {
      await run('mount', ['-o', `remount,${readOnly ? 'ro' : 'rw'}`, dir]);
    },
    async [Symbol.asyncDispose]() {
      await run('umount', ['-l', dir]);
    },
  };
}
