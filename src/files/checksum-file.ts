import type { Digest } from '../store/store.ts';

export type ChecksumParse = { digest: Digest } | { problem: string };

const hex = '([0-9a-fA-F]{64})';
const bare = new RegExp(`^${hex}$`);
// `sha256sum` output: HASH, two spaces (or space and `*` for binary mode), NAME.
const gnu = new RegExp(`^${hex}\\s[ *]?(.+)$`);
// `shasum -a 256 --tag` / BSD `sha256` output.
const bsd = new RegExp(`^SHA256 \\((.+)\\) = ${hex}$`);

/**
 * Problems name line numbers and the file's own names, never the checksum file's content:
 * a refused checksum file has not been verified, and the problem reaches clients.
 *
 * The sha256 a checksum file gives for a file: a bare `HASH`, `HASH  NAME` lines (one or many,
 * as `sha256sum` writes them) or `SHA256 (NAME) = HASH`. With names, the line must name one of
 * `names` (the file's own name, as requested or as the upstream lays it out).
 */
export function parseChecksumFile(bytes: Uint8Array, names: readonly string[]): ChecksumParse {
  const text = Buffer.from(bytes)
    .toString('utf8')
    .replace(/^\uFEFF/, '');
  if (text.includes('\uFFFD')) return { problem: 'not UTF-8 text' };
  const lines = text
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  if (lines.length === 0) return { problem: 'empty' };
  const found: { hash: string; name?: string }[] = [];
  for (const [i, line] of lines.entries()) {
    const parsed = parseLine(line);
    if (!parsed) {
      return {
        problem: `line ${i + 1} is not "HASH", "HASH  NAME" or "SHA256 (NAME) = HASH" with a 64-character hex sha256`,
      };
    }
    found.push(parsed);
  }
  const unnamed = found.filter((f) => f.name === undefined);
  if (unnamed.length > 0) {
    if (found.length > 1) return { problem: 'a bare hash must be the only line' };
    return { digest: `sha256:${(unnamed[0] as { hash: string }).hash.toLowerCase()}` };
  }
  const wanted = new Set(names);
  const match = found.find((f) => wanted.has(stripDotSlash(f.name as string)));
  if (!match) {
    const others = found.length === 1 ? 'another file' : `${found.length} other files`;
    return { problem: `names ${others}, not ${[...wanted].join(' or ')}` };
  }
  return { digest: `sha256:${match.hash.toLowerCase()}` };
}

function parseLine(line: string): { hash: string; name?: string } | undefined {
  const plain = bare.exec(line);
  if (plain) return { hash: plain[1] as string };
  const listed = gnu.exec(line);
  if (listed) return { hash: listed[1] as string, name: (listed[2] as string).trim() };
  const tagged = bsd.exec(line);
  if (tagged) return { hash: tagged[2] as string, name: tagged[1] as string };
  return undefined;
}

function stripDotSlash(name: string): string {
  const base = name.replace(/^\.\//, '');
  return base.slice(base.lastIndexOf('/') + 1);
}
