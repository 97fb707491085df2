import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import yaml from 'js-yaml';
import { request } from 'undici';
import { queryDns } from '../../src/doctor/net/dns-query.ts';
import { type Dnsmasq, startDnsmasq } from './dnsmasq.ts';
import type { HelmClient } from './helm.ts';

/** The zone the test DNS server answers for; names in it never reach the system resolver. */
export const testZone = 'ballast.test';

export interface TestDns {
  dnsmasq: Dnsmasq;
  /** `resolver:` config that makes Ballast ask only this server. */
  resolver: { servers: string[] };
  /** Makes exactly these names resolve to 127.0.0.1 (every other name in the zone: NXDOMAIN). */
  resolvable(names: readonly string[]): Promise<void>;
}

/**
 * Real dnsmasq on a loopback port, authoritative for `ballast.test`: the given names answer
 * 127.0.0.1, every other name NXDOMAIN. `resolvable` rewrites the hosts file, sends SIGHUP
 * and waits until dnsmasq answers the new way.
 */
export async function startTestDns(names: readonly string[]): Promise<TestDns> {
  const hostsFor = (list: readonly string[]) =>
    Object.fromEntries(list.map((name) => [name, '127.0.0.1']));
  const dnsmasq = await startDnsmasq({ hosts: hostsFor(names), localZones: [testZone] });
  let known = new Set(names);
  return {
    dnsmasq,
    resolver: { servers: [dnsmasq.address] },
    async resolvable(next) {
      const before = known;
      known = new Set(next);
      await dnsmasq.setHosts(hostsFor(next));
      for (const name of new Set([...before, ...next])) {
        const expected = known.has(name) ? 'NOERROR' : 'NXDOMAIN';
        await waitForRcode(dnsmasq, name, expected);
      }
    },
  };
}

async function waitForRcode(dnsmasq: Dnsmasq, name: string, expected: string): Promise<void> {
  let last = '';
  for (let i = 0; i < 100; i++) {
    const result = await queryDns({
      host: dnsmasq.host,
      port: dnsmasq.port,
      name,
      type: 'A',
      transport: 'udp',
      timeoutMs: 300,
    });
    last = result.rcode ?? result.status;
    if (last === expected) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`dnsmasq answers ${last} for ${name}, not ${expected}\n${dnsmasq.output()}`);
}

/** `http://NAME.ballast.test:PORT`: an upstream URL that only the test DNS server resolves. */
export function namedUrl(name: string, port: number): string {
  return `http://${name}.${testZone}:${port}`;
}

/**
 * Writes Helm's repositories.yaml by hand, so that the first request Helm ever sends to the
 * repository is the one of `helm repo update` (`helm repo add` would fetch the index itself).
 */
export async function registerHelmRepo(helm: HelmClient, name: string, url: string) {
  const dir = join(helm.home, 'config');
  await mkdir(dir, { recursive: true });
  const file = {
    apiVersion: '',
    generated: '0001-01-01T00:00:00Z',
    repositories: [{ name, url }],
  };
  await writeFile(join(dir, 'repositories.yaml'), yaml.dump(file));
}

/**
 * `helm repo update` that must succeed for every repository: Helm 3 exits 0 even when a
 * repository failed (it only prints "Unable to get an update"), so the output is checked too.
 */
export async function helmRepoUpdate(helm: HelmClient, repo: string): Promise<string> {
  const strict = helm.major === 3 ? ['--fail-on-repo-update-fail'] : [];
  const { stdout, stderr } = await helm.run(['repo', 'update', ...strict], { timeoutMs: 60_000 });
  const output = `${stdout}${stderr}`;
  assert.doesNotMatch(output, /Unable to get an update|error|failed/i, output);
  assert.match(output, new RegExp(`Successfully got an update from the "${repo}"`), output);
  return output;
}

/** `helm pull REPO/CHART --version V` into `dest`; returns the hex sha256 of what Helm saved. */
export async function helmPull(
  helm: HelmClient,
  chart: string,
  version: string,
  dest: string,
): Promise<string> {
  await helm.run(['pull', chart, '--version', version, '-d', dest], { timeoutMs: 60_000 });
  const file = join(dest, `${chart.slice(chart.indexOf('/') + 1)}-${version}.tgz`);
  return sha256Hex(await readFile(file));
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export interface TimedResponse {
  status: number;
  headers: Record<string, string>;
  /** The body, gunzipped when the server sent it gzip'd. */
  body: Buffer;
  ms: number;
  /** Set when no complete response arrived (reset, truncated body, timeout). */
  error?: string;
}

/** A GET as Helm sends it (its user agent, gzip accepted), timed; never throws. */
export async function helmStyleGet(url: string, timeoutMs = 60_000): Promise<TimedResponse> {
  const started = performance.now();
  try {
    const response = await request(url, {
      headers: { 'user-agent': 'Helm/3.17.2', 'accept-encoding': 'gzip' },
      signal: AbortSignal.timeout(timeoutMs),
    });
    let body = Buffer.from(await response.body.arrayBuffer());
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(response.headers)) {
      if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
    }
    if (headers['content-encoding'] === 'gzip') body = gunzipSync(body);
    return { status: response.statusCode, headers, body, ms: performance.now() - started };
  } catch (error) {
    return {
      status: 0,
      headers: {},
      body: Buffer.alloc(0),
      ms: performance.now() - started,
      error: `${(error as { code?: string }).code ?? ''} ${(error as Error).message}`.trim(),
    };
  }
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

/** Every series of one metric, as `labels → value`, for assertions and diagnostics. */
export async function metricSeries(
  baseUrl: string,
  name: string,
): Promise<{ labels: Record<string, string>; value: number }[]> {
  const response = await request(`${baseUrl}/metrics`);
  const text = await response.body.text();
  const series: { labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels: Record<string, string> = {};
    const inside = /\{(.*)\}/.exec(line)?.[1] ?? '';
    for (const match of inside.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) {
      labels[match[1] ?? ''] = match[2] ?? '';
    }
    series.push({ labels, value: Number(line.slice(line.lastIndexOf(' ') + 1)) });
  }
  return series;
}

/**
 * Hashes every file under the store's `blobs/sha256/`; returns how many there are and the
 * ones whose bytes do not hash to their own name (there must be none).
 */
export async function auditStoreBlobs(dataDir: string): Promise<{ count: number; bad: string[] }> {
  const root = join(dataDir, 'blobs', 'sha256');
  const bad: string[] = [];
  let count = 0;
  const entries = await readdir(root, { recursive: true, withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    if (!entry.isFile()) continue;
    count++;
    const path = join(entry.parentPath, entry.name);
    if (sha256Hex(await readFile(path)) !== basename(path)) bad.push(path);
  }
  return { count, bad };
}
