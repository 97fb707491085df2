import type { CatalogVersion, ChartMatch } from './chart-catalog.ts';
import type { RepoView, StatusDocument, UpstreamView } from './status-document.ts';
import { statusStyle } from './status-style.ts';

export interface StatusPageInput {
  document: StatusDocument;
  /** Where clients reach this Ballast, for copy-ready commands: `http://host:port`. */
  base: string;
  search?: { query: string; results: ChartMatch[] };
  chart?: { repo: string; chart: string; versions: CatalogVersion[] | undefined };
}

const escapes: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};
/** Everything that comes from config, upstreams or the request goes through this. */
export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => escapes[c] as string);
}

/** Server-rendered, without JavaScript: forms and links do everything. */
export function renderStatusPage(input: StatusPageInput): string {
  const { document } = input;
  const upstreams = [...document.repos, ...document.files].flatMap((s) => s.upstreams);
  const count = (state: string) => upstreams.filter((u) => u.state === state).length;
  const summary = `${upstreams.length} upstreams: ${count('healthy')} healthy, ${count('degraded')} degraded, ${count('down')} down`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Ballast status</title><style>${statusStyle}</style></head>
<body><header><div><h1>Ballast status</h1><p class="meta">${escapeHtml(summary)} · ${escapeHtml(document.generatedAt)}</p></div>
<form role="search" action="/" method="get"><label for="q">Find a chart</label><input id="q" name="q" type="search" value="${escapeHtml(input.search?.query ?? '')}"><button type="submit">Search</button></form></header>
<main>${input.search ? searchSection(input.search) : ''}${input.chart ? chartSection(input.chart, input.base) : ''}
<section aria-labelledby="repos"><h2 id="repos">Repositories</h2>${document.repos.map(repoArticle).join('') || '<p class="muted">No repository is configured.</p>'}</section>
${document.files.length > 0 ? `<section aria-labelledby="files"><h2 id="files">File mirrors</h2>${document.files.map((f) => `<article><h3>${escapeHtml(f.name)}</h3>${upstreamList(f.upstreams)}</article>`).join('')}</section>` : ''}
${cacheSection(document.cache)}</main></body></html>`;
}

function repoArticle(repo: RepoView): string {
  const { index, guardRefusals } = repo;
  const facts = [
    `${index.versions} versions`,
    index.ageSeconds === null ? 'no index yet' : `index confirmed ${age(index.ageSeconds)} ago`,
  ];
  const stale = index.stale
    ? `<p class="degraded">Serving the last good index: ${escapeHtml(index.staleBecause)}</p>`
    : '';
  const refused =
    guardRefusals.count > 0
      ? `<p class="degraded">Guard refused ${guardRefusals.count} upstream index${guardRefusals.count === 1 ? '' : 'es'}; last: ${escapeHtml(guardRefusals.last?.message ?? '')}</p>`
      : '';
  return `<article><h3>${escapeHtml(repo.name)}</h3><p class="meta">${escapeHtml(facts.join(' · '))}</p>${stale}${refused}${upstreamList(repo.upstreams)}</article>`;
}

function upstreamList(upstreams: readonly UpstreamView[]): string {
  if (upstreams.length === 0) return '<p class="muted">Not probed.</p>';
  return `<ul>${upstreams.map(upstreamItem).join('')}</ul>`;
}

function upstreamItem(upstream: UpstreamView): string {
  const reason =
    upstream.state === 'healthy'
      ? ''
      : ` — <strong>${escapeHtml(upstream.stage ?? '')}</strong>: <code>${escapeHtml(upstream.code ?? '')}</code> ${escapeHtml(upstream.message ?? '')}`;
  const probed = upstream.probedAt ? `since ${upstream.since}` : 'not probed yet';
  const expires = upstream.certificateExpiresAt
    ? ` · certificate until ${upstream.certificateExpiresAt.slice(0, 10)}`
    : '';
  return `<li><span class="state ${upstream.state}">${upstream.state}</span> ${escapeHtml(upstream.url)}${reason}<div class="meta">${escapeHtml(probed + expires)}</div>${strip(upstream.history)}</li>`;
}

const slotClass = { healthy: 'h', degraded: 'g', down: 'd' } as const;

/** The 24 h strip as runs of equal slots: a quiet day is one element, not 48. */
function strip(history: UpstreamView['history']): string {
  const runs: Array<{ state: UpstreamView['history'][number]; slots: number }> = [];
  for (const state of history) {
    const last = runs.at(-1);
    if (last && last.state === state) last.slots++;
    else runs.push({ state, slots: 1 });
  }
  const label = runs
    .filter((r) => r.state !== null)
    .map((r) => `${r.state} ${r.slots / 2} h`)
    .join(', ');
  const cells = runs
    .map((r) => `<i class="${r.state ? slotClass[r.state] : 'n'} w${r.slots}"></i>`)
    .join('');
  return `<div class="strip" role="img" aria-label="last 24 hours: ${escapeHtml(label || 'no probes')}">${cells}</div>`;
}

function searchSection(search: NonNullable<StatusPageInput['search']>): string {
  const items = search.results
    .map(
      (m) =>
        `<li><a href="/?repo=${encodeURIComponent(m.repo)}&amp;chart=${encodeURIComponent(m.chart)}">${escapeHtml(m.chart)}</a> in ${escapeHtml(m.repo)} <span class="meta">latest ${escapeHtml(m.latest)}, ${m.versions} version${m.versions === 1 ? '' : 's'}</span></li>`,
    )
    .join('');
  return `<section aria-labelledby="results"><h2 id="results">Charts matching “${escapeHtml(search.query)}”</h2>${items ? `<ul>${items}</ul>` : '<p class="muted">No chart matches.</p>'}</section>`;
}

function chartSection(chart: NonNullable<StatusPageInput['chart']>, base: string): string {
  const title = `<h2 id="chart">${escapeHtml(chart.chart)} in ${escapeHtml(chart.repo)}</h2>`;
  if (!chart.versions)
    return `<section aria-labelledby="chart">${title}<p class="muted">No such chart.</p></section>`;
  const latest = chart.versions[0]?.version ?? '';
  const host = base.replace(/^https?:\/\//, '');
  const commands = [
    `helm repo add ${chart.repo} ${base}/${chart.repo}`,
    `helm pull ${chart.repo}/${chart.chart} --version ${latest}`,
  ].join('\n');
  const oci = `helm pull oci://${host}/${chart.repo}/${chart.chart} --version ${latest}${base.startsWith('http:') ? ' --plain-http' : ''}`;
  const rows = chart.versions
    .map(
      (v) =>
        `<tr><td>${escapeHtml(v.version)}</td><td>${escapeHtml(v.appVersion ?? '—')}</td><td><code>${escapeHtml(v.digest ? `${v.digest.slice(0, 12)}…` : '—')}</code></td><td>${escapeHtml(v.created?.slice(0, 10) ?? '—')}</td></tr>`,
    )
    .join('');
  return `<section aria-labelledby="chart">${title}
<h3>Classic repository</h3><pre tabindex="0"><code>${escapeHtml(commands)}</code></pre>
<h3>OCI</h3><pre tabindex="0"><code>${escapeHtml(oci)}</code></pre>
<div class="table" tabindex="0" role="region" aria-label="Versions"><table><caption class="meta">${chart.versions.length} versions</caption><thead><tr><th scope="col">Version</th><th scope="col">App version</th><th scope="col">Digest</th><th scope="col">Created</th></tr></thead><tbody>${rows}</tbody></table></div></section>`;
}

function cacheSection(cache: StatusDocument['cache']): string {
  const ratio = cache.hitRatio === null ? '—' : `${(cache.hitRatio * 100).toFixed(1)} %`;
  const stored = cache.storedBytes === null ? 'counting…' : bytes(cache.storedBytes);
  const requests = cache.upstreamRequests;
  const top = cache.topCharts
    .map(
      (c) =>
        `<tr><td>${escapeHtml(c.chart)}</td><td>${escapeHtml(c.repo)}</td><td>${c.pulls}</td></tr>`,
    )
    .join('');
  return `<section aria-labelledby="cache"><h2 id="cache">Cache</h2><dl>
<dt>Hit ratio</dt><dd>${ratio} (${cache.hits} hits, ${cache.misses} misses)</dd>
<dt>Stored</dt><dd>${stored}</dd>
<dt>Upstream requests</dt><dd>${requests.ok} ok, ${requests['not-modified']} not modified, ${requests.error} failed</dd></dl>
<h3>Top charts by pulls</h3>${top ? `<div class="table" tabindex="0" role="region" aria-label="Top charts"><table><thead><tr><th scope="col">Chart</th><th scope="col">Repository</th><th scope="col">Pulls</th></tr></thead><tbody>${top}</tbody></table></div>` : '<p class="muted">No pulls yet.</p>'}</section>`;
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 7200) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 3600)} h`;
}

function bytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}
