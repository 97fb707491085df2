import { open } from 'node:fs/promises';
import { resolve } from 'node:path';
import { DoctorError } from '../doctor-errors.ts';

/** The most of an index the doctor reads: Ballast's default `limits.indexSize`. */
export const maxIndexBytes = 64 * 1024 * 1024;

export interface IndexBytes {
  /** The URL fetched or the file read, for the report. */
  source: string;
  data: Buffer;
}

/**
 * An index from a repository URL (its `index.yaml`, as Helm asks for it), a URL of the file
 * itself, or a local file.
 */
export function readIndexSource(
  target: string,
  options: { cwd: string; timeoutMs: number },
): Promise<IndexBytes> {
  if (/^https?:\/\//i.test(target)) return fetchIndex(indexUrl(target), options.timeoutMs);
  return readIndexFile(resolve(options.cwd, target), target);
}

/** Helm appends `/index.yaml` to a repository URL; a URL of the file is taken as it is. */
export function indexUrl(target: string): URL {
  const url = new URL(target);
  if (!/\.(ya?ml|json)$/i.test(url.pathname)) {
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/index.yaml`;
  }
  return url;
}

async function fetchIndex(url: URL, timeoutMs: number): Promise<IndexBytes> {
  const fail = (reason: string) =>
    new DoctorError('BALLAST_DOCTOR_INDEX_FETCH_FAILED', { url: url.href, reason });
  let response: Response;
  try {
    response = await fetch(url, {
      headers: { 'user-agent': 'ballast-doctor' },
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw fail(cause?.code ?? cause?.message ?? (error as Error).message);
  }
  if (!response.ok || !response.body) throw fail(`HTTP ${response.status}`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response.body) {
    size += chunk.byteLength;
    if (size > maxIndexBytes) {
      await response.body.cancel().catch(() => undefined);
      throw new DoctorError('BALLAST_DOCTOR_INDEX_TOO_LARGE', {
        file: url.href,
        limit: maxIndexBytes,
      });
    }
    chunks.push(Buffer.from(chunk));
  }
  return { source: url.href, data: Buffer.concat(chunks) };
}

async function readIndexFile(path: string, label: string): Promise<IndexBytes> {
  const unreadable = (reason: string) =>
    new DoctorError('BALLAST_DOCTOR_INPUT_UNREADABLE', { file: label, reason });
  const file = await open(path).catch((error: NodeJS.ErrnoException) => {
    throw unreadable(error.code ?? error.message);
  });
  try {
    const stats = await file.stat();
    if (!stats.isFile()) throw unreadable('not a regular file');
    if (stats.size > maxIndexBytes) {
      throw new DoctorError('BALLAST_DOCTOR_INDEX_TOO_LARGE', {
        file: label,
        limit: maxIndexBytes,
      });
    }
    return { source: label, data: await file.readFile() };
  } finally {
    await file.close();
  }
}
