import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export interface ChartArchiveOptions {
  name: string;
  version: string;
  /** Aim for an archive of about this many bytes; the payload is sized to reach it. */
  targetBytes: number;
}

/**
 * A chart archive as `helm package` lays it out (a gzip'd ustar tar whose entries sit under
 * `<name>/`), padded to the wanted size with an incompressible file so the archive on the
 * wire is as large as a real chart of that size. Deterministic: same options, same bytes.
 */
export function buildChartArchive(options: ChartArchiveOptions): Buffer {
  // Random bytes do not compress, so the archive grows one byte per payload byte: size it
  // from a first try and correct once.
  const first = archiveWithPayload(options, Math.max(0, options.targetBytes - 2048));
  const payload = Math.max(0, options.targetBytes - 2048 + (options.targetBytes - first.length));
  return archiveWithPayload(options, payload);
}

function archiveWithPayload({ name, version }: ChartArchiveOptions, payloadBytes: number) {
  const chartYaml = benchChartYaml(name, version);
  const entries: [string, Buffer][] = [
    [`${name}/Chart.yaml`, Buffer.from(chartYaml)],
    [`${name}/values.yaml`, Buffer.from('replicaCount: 1\n')],
    [`${name}/files/payload.bin`, pseudoRandomBytes(payloadBytes, `${name}-${version}`)],
  ];
  return gzipSync(tar(entries), { level: 9 });
}

/** Bytes that look random to gzip, reproducible from the seed (sha256 in counter mode). */
export function pseudoRandomBytes(length: number, seed: string): Buffer {
  const out = Buffer.alloc(length);
  for (let offset = 0, block = 0; offset < length; offset += 32, block++) {
    createHash('sha256').update(`${seed}:${block}`).digest().copy(out, offset);
  }
  return out;
}

/** A ustar archive of regular files (names under 100 bytes), with its two zero end blocks. */
export function tar(entries: readonly [string, Buffer][]): Buffer {
  const blocks: Buffer[] = [];
  for (const [path, data] of entries) {
    blocks.push(
      tarHeader(path, data.length),
      data,
      Buffer.alloc((512 - (data.length % 512)) % 512),
    );
  }
  blocks.push(Buffer.alloc(1024));
  return Buffer.concat(blocks);
}

function tarHeader(path: string, size: number): Buffer {
  if (Buffer.byteLength(path) > 100) throw new Error(`tar entry name too long: ${path}`);
  const header = Buffer.alloc(512);
  const octal = (value: number, width: number) => value.toString(8).padStart(width - 1, '0');
  header.write(path, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii'); // uid
  header.write(octal(0, 8), 116, 'ascii'); // gid
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii'); // mtime
  header.write('0', 156, 'ascii'); // regular file
  header.write('ustar\u000000', 257, 'ascii');
  // The checksum is summed with its own field read as eight spaces.
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 'ascii');
  return header;
}

/** Chart.yaml of the benchmark charts, archived here or packaged by `helm package`. */
export function benchChartYaml(name: string, version: string): string {
  return [
    'apiVersion: v2',
    `name: ${name}`,
    `version: ${version}`,
    `appVersion: ${version}`,
    'description: Benchmark chart with an incompressible payload',
    'type: application',
    '',
  ].join('\n');
}
