import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

/** A fresh `ballast-NAME-…` dir in the OS temp dir; removed after the test when given one. */
export async function tempDir(name: string, t?: TestContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `ballast-${name}-`));
  t?.after(() => removeDir(dir));
  return dir;
}

export function removeDir(dir: string): Promise<void> {
  return rm(dir, { recursive: true, force: true });
}
