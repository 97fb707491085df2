import { createHash } from 'node:crypto';
import { newestFirst } from '../helm/chart-version.ts';
import type { ChartRepo } from '../mirror/chart-repo.ts';
import type { IndexView } from '../mirror/repo-index.ts';
import {
  type ChartSource,
  type EntrySpan,
  entriesOpening,
  etagOf,
  identityOf,
  type ServedIndex,
} from '../mirror/served-index.ts';
import type { Store } from '../store/store.ts';
import type { HostedRepo } from './hosted-repo.ts';

/**
 * One repository that is both hosted and a mirror (`hosted: true` with `upstreams`): one index
 * holding the team's uploads and the upstreams' charts, an uploaded version winning a clash
 * of name and version; chart files come from the hosted side when it has them. When the
 * upstreams have never answered, the uploads are served alone.
 */
export function createCombinedRepo(hosted: HostedRepo, mirror: ChartRepo, store: Store): ChartRepo {
  let combined:
    | { hosted: ServedIndex; mirror: ServedIndex | undefined; index: ServedIndex }
    | undefined;

  async function mirrorBody(index: ServedIndex): Promise<Buffer> {
    const body = identityOf(index);
    if (Buffer.isBuffer(body)) return body;
    const stream = await store.openDocument(body.key);
    if (!stream) throw new Error(`the served index ${body.key} is gone`);
    return Buffer.concat(await stream.toArray());
  }

  async function combine(own: ServedIndex, theirs: ServedIndex | undefined): Promise<ServedIndex> {
    if (!theirs) return own;
    const ownBody = identityOf(own) as Buffer;
    const theirBody = await mirrorBody(theirs);
    const names = [...new Set([...theirs.spans.keys(), ...own.spans.keys()])].sort();
    const slice = (body: Buffer, span: EntrySpan) => body.subarray(span[0], span[1]);
    const head = { ...theirs.head, ...own.head };
    const parts: Buffer[] = [Buffer.from(entriesOpening(head))];
    const spans = new Map<string, EntrySpan>();
    let offset = parts[0]?.length ?? 0;
    names.forEach((name, i) => {
      const mine = own.spans.get(name);
      const other = theirs.spans.get(name);
      let list: Buffer;
      if (mine && other) {
        const uploaded = JSON.parse(String(slice(ownBody, mine))) as { version: string }[];
        const taken = new Set(uploaded.map((e) => e.version));
        const mirrored = (
          JSON.parse(String(slice(theirBody, other))) as { version: string }[]
        ).filter((e) => !taken.has(e.version));
        const all = [...uploaded, ...mirrored].sort((a, b) => newestFirst(a.version, b.version));
        list = Buffer.from(JSON.stringify(all));
      } else {
        list = mine ? slice(ownBody, mine) : slice(theirBody, other as EntrySpan);
      }
      const key = Buffer.from(`${i > 0 ? ',' : ''}${JSON.stringify(name)}:`);
      parts.push(key, list);
      offset += key.length;
      spans.set(name, [offset, offset + list.length]);
      offset += list.length;
    });
    parts.push(Buffer.from('}}'));
    const body = Buffer.concat(parts);
    const charts = new Map<string, ChartSource>([...theirs.charts, ...own.charts]);
    return {
      body,
      bytes: body.length,
      versions: charts.size,
      charts,
      spans,
      head,
      etag: etagOf(`sha256:${createHash('sha256').update(body).digest('hex')}`),
    };
  }

  const hostedOr = async <T>(file: string, own: () => Promise<T>, theirs: () => Promise<T>) =>
    (await hosted.versionOf(file)) ? own() : theirs();

  return {
    name: hosted.name,
    views: hosted.views,
    async load() {
      await Promise.all([hosted.load(), mirror.load()]);
    },
    async index(signal): Promise<IndexView> {
      const own = await hosted.index();
      let theirs: IndexView | undefined;
      let staleBecause: string | undefined;
      try {
        theirs = await mirror.index(signal);
        staleBecause = theirs.staleBecause;
      } catch (error) {
        staleBecause = (error as { code?: string }).code ?? 'BALLAST_INDEX_UNAVAILABLE';
      }
      if (combined?.hosted !== own.index || combined.mirror !== theirs?.index)
        combined = {
          hosted: own.index,
          mirror: theirs?.index,
          index: await combine(own.index, theirs?.index),
        };
      return {
        index: combined.index,
        checkedAt: theirs?.checkedAt ?? own.checkedAt,
        ...(staleBecause ? { staleBecause } : {}),
      };
    },
    chart: (file, signal) =>
      hostedOr(
        file,
        () => hosted.chart(file, signal),
        () => mirror.chart(file, signal),
      ),
    provenance: (file, signal) =>
      hostedOr(
        file,
        () => hosted.provenance(file, signal),
        () => mirror.provenance(file, signal),
      ),
    upstreamManifest: (file, signal) =>
      hostedOr(
        file,
        () => hosted.upstreamManifest(file, signal),
        () => mirror.upstreamManifest(file, signal),
      ),
    async refresh(signal) {
      await Promise.all([hosted.refresh(signal), mirror.refresh(signal)]);
    },
    status() {
      const own = hosted.status();
      const theirs = mirror.status();
      return {
        ...theirs,
        ready: own.ready && theirs.ready,
        versions: own.versions + theirs.versions,
      };
    },
  };
}
