import { readFile } from 'node:fs/promises';

/** The parts of V8's `.cpuprofile` (what `node --cpu-prof` writes) that the summary reads. */
interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
  }[];
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileSummary {
  /** Sampled time that was not idle, in ms. */
  busyMs: number;
  /** Self time by where the code lives: a package, Ballast's src/, Node internals, GC. */
  byOrigin: { name: string; ms: number; share: number }[];
  /** Functions with the most self time. */
  hottest: { name: string; ms: number; share: number }[];
}

/** Self time of a profile, idle left out, grouped by origin and by function. */
export function summariseProfile(profile: CpuProfile, top = 15): ProfileSummary {
  const frames = new Map(profile.nodes.map((node) => [node.id, node.callFrame]));
  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busyUs = 0;
  profile.samples.forEach((id, i) => {
    const frame = frames.get(id);
    const us = profile.timeDeltas[i] ?? 0;
    if (!frame || frame.functionName === '(idle)' || us <= 0) return;
    busyUs += us;
    const origin = originOf(frame.url, frame.functionName);
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + us);
    const where = frame.url ? ` ${shortUrl(frame.url)}:${frame.lineNumber + 1}` : '';
    const name = `${frame.functionName || '(anonymous)'}${where}`;
    byFunction.set(name, (byFunction.get(name) ?? 0) + us);
  });
  const rank = (map: Map<string, number>, limit: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, us]) => ({ name, ms: us / 1000, share: busyUs ? us / busyUs : 0 }));
  return { busyMs: busyUs / 1000, byOrigin: rank(byOrigin, 20), hottest: rank(byFunction, top) };
}

export async function summariseProfileFile(file: string, top?: number): Promise<ProfileSummary> {
  return summariseProfile(JSON.parse(await readFile(file, 'utf8')) as CpuProfile, top);
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const line = (entry: { name: string; ms: number; share: number }) => {
    const share = `${(entry.share * 100).toFixed(1)}%`;
    return `  ${share.padStart(6)}  ${entry.ms.toFixed(0).padStart(7)} ms  ${entry.name}`;
  };
  return [
    `Ballast CPU profile: ${summary.busyMs.toFixed(0)} ms busy (self time, idle excluded)`,
    'by origin:',
    ...summary.byOrigin.map(line),
    'hottest functions:',
    ...summary.hottest.map(line),
  ].join('\n');
}

function originOf(url: string, functionName: string): string {
  if (!url) return functionName.startsWith('(') ? functionName : '(native)';
  if (url.startsWith('node:')) return 'node internals';
  const pkg = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  if (pkg?.[1]) return `npm ${pkg[1]}`;
  const src = /\/(src|bench|test)\/([^/]+)\//.exec(url);
  if (src) return `ballast ${src[1]}/${src[2]}`;
  return 'other';
}

function shortUrl(url: string): string {
  const pkg = /\/node_modules\/(.*)$/.exec(url);
  if (pkg?.[1]) return pkg[1];
  const own = /\/((?:src|bench|test)\/.*)$/.exec(url);
  return own?.[1] ?? url;
}

// `node bench/cpu-profile-summary.ts FILE.cpuprofile` summarises a profile made elsewhere.
if (import.meta.main) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: node bench/cpu-profile-summary.ts FILE.cpuprofile');
    process.exit(2);
  }
  console.log(formatProfileSummary(await summariseProfileFile(file, 25)));
}
