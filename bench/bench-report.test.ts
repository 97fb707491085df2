import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BallastMemory } from './ballast-memory.ts';
import { type BenchReport, formatReport, ratiosOf } from './bench-report.ts';
import type { CaseResult, Measurement } from './measure.ts';

function measurement(server: string, requestsPerSec: number, cpuMicros: number): Measurement {
  return {
    server,
    url: `http://127.0.0.1:1/${server}`,
    load: {
      requests: requestsPerSec * 5,
      durationSec: 5,
      requestsPerSec,
      bytesPerSec: requestsPerSec * 1000,
      bytesPerResponse: 1000,
      errors: { connect: 0, read: 0, write: 0, status: 0, timeout: 0 },
      latencyMs: { mean: 1, p50: 1, p90: 2, p99: 3, max: 4 },
    },
    serverCpuCores: (requestsPerSec * cpuMicros) / 1e6,
    serverCpuMicrosPerRequest: cpuMicros,
    machineCpuCores: 1.9,
  };
}

const ociCase = (id: string, ballast: number, registry: number): CaseResult => {
  const medians = [measurement('ballast', ballast, 100), measurement('registry', registry, 400)];
  return { id, title: id, medians, samples: {} };
};

const memory: BallastMemory = {
  rssBytes: 100 * 2 ** 20,
  peakRssBytes: 120 * 2 ** 20,
  heapUsedBytes: 20 * 2 ** 20,
  heapTotalBytes: 40 * 2 ** 20,
  externalBytes: 2 ** 20,
};

test('an OCI-only report names the registry, both OCI ratios and that Ballast memory', () => {
  const cases = [ociCase('oci-manifest', 3000, 1500), ociCase('oci-blob', 1000, 2000)];
  const ratios = ratiosOf(cases, { 'oci-manifest': 1, 'oci-blob': 1 });
  assert.deepEqual(
    ratios.map((r) => [r.caseId, r.baseline, r.ratio, r.cpuEfficiency, r.target]),
    [
      ['oci-manifest', 'registry', 2, 4, 1],
      ['oci-blob', 'registry', 0.5, 4, 1],
    ],
  );
  const report: BenchReport = {
    startedAt: '2026-01-01T00:00:00.000Z',
    machine: {
      cores: 2,
      cpuModel: 'test',
      memoryBytes: 2 ** 30,
      kernel: 'test',
      node: 'v24.0.0',
      registry: 'distribution 2.8.2',
      wrk: 'wrk 4.1.0',
    },
    ballastCommand: 'node bin/ballast.js',
    options: {
      durationSec: 5,
      warmupSec: 1,
      connections: 32,
      threads: 1,
      rounds: 3,
      versions: 10_000,
      chartBytes: 61_440,
      cases: ['oci'],
      profile: false,
    },
    oci: {
      chart: {
        name: 'bench-chart',
        version: '1.0.0',
        tag: '1.0.0',
        bytes: 61_441,
        digest: 'sha256:ab',
      },
      manifest: {
        digest: 'sha256:cd',
        bytes: 606,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        layerDigest: 'sha256:ab',
      },
    },
    cases,
    ratios,
    backgroundCpuCores: 0.05,
    ociMemory: { afterStart: memory, atEnd: memory },
  };
  const text = formatReport(report);
  assert.match(text, /^Ballast vs the registry \(distribution 2\.8\.2\): 2 cores/);
  assert.doesNotMatch(text, /nginx|index\.yaml|limit:/);
  assert.match(text, /oci: bench-chart:1\.0\.0 pushed by helm, layer 61441 bytes/);
  assert.match(text, /oci-manifest: ballast \/ registry = 2\.00x {2}target >= 1\.0x: MET/);
  assert.match(text, /oci-blob: ballast \/ registry = 0\.50x {2}target >= 1\.0x: MISSED/);
  assert.match(text, /Ballast mirroring the registry, memory:\n {2}after start-up/);
});
