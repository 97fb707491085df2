import { createHash } from 'node:crypto';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { HelmClient } from '../test/support/helm.ts';
import { benchChartYaml, pseudoRandomBytes } from './chart-archive.ts';

export interface HelmPackagedChart {
  name: string;
  version: string;
  /** The `.tgz` that `helm package` wrote. */
  path: string;
  bytes: number;
  /** `sha256:…` of the archive: the digest of the chart layer once pushed. */
  digest: string;
}

/**
 * A chart made the way a publisher makes one: a chart folder (`Chart.yaml`, `values.yaml`
 * and an incompressible payload so the archive is as large as wanted) packaged by real
 * `helm package`. Helm writes the time into the archive, so its digest differs per run.
 */
export async function packageBenchChart(
  helm: HelmClient,
  dir: string,
  options: { name: string; version: string; targetBytes: number },
): Promise<HelmPackagedChart> {
  const { name, version, targetBytes } = options;
  const source = join(dir, 'source', name);
  const out = join(dir, 'packaged');
  await mkdir(join(source, 'files'), { recursive: true });
  await mkdir(out, { recursive: true });
  await writeFile(join(source, 'Chart.yaml'), benchChartYaml(name, version));
  await writeFile(join(source, 'values.yaml'), 'replicaCount: 1\n');
  const path = join(out, `${name}-${version}.tgz`);
  const packageWith = async (payloadBytes: number) => {
    const payload = pseudoRandomBytes(payloadBytes, `${name}-${version}`);
    await writeFile(join(source, 'files', 'payload.bin'), payload);
    await rm(path, { force: true });
    await helm.run(['package', source, '--destination', out]);
    return (await stat(path)).size;
  };
  // Random bytes do not compress, so the archive grows one byte per payload byte: size it
  // from a first try and correct once.
  const guess = Math.max(0, targetBytes - 2048);
  const first = await packageWith(guess);
  if (first !== targetBytes) await packageWith(Math.max(0, guess + targetBytes - first));
  const archive = await readFile(path);
  const digest = `sha256:${createHash('sha256').update(archive).digest('hex')}`;
  return { name, version, path, bytes: archive.length, digest };
}
