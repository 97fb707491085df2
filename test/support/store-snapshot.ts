import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';

/**
 * Every file under the store's blobs/, docs/ and tmp/ with the sha256 of its bytes, sorted:
 * two snapshots are equal when nothing stored changed.
 */
export async function storeSnapshot(dataDir: string): Promise<string[]> {
  const lines: string[] = [];
  for (const part of ['blobs', 'docs', 'tmp']) {
    const root = join(dataDir, part);
    const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (!entry.isFile()) continue;
      const path = join(entry.parentPath, entry.name);
      const hash = createHash('sha256')
        .update(await readFile(path))
        .digest('hex');
      lines.push(`${relative(dataDir, path)} ${hash}`);
    }
  }
  return lines.sort();
}

/** Files under the store's tmp/ (writes in progress or left behind), relative to tmp/. */
export async function tmpFiles(dataDir: string): Promise<string[]> {
  const root = join(dataDir, 'tmp');
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => relative(root, join(entry.parentPath, entry.name)))
    .sort();
}
