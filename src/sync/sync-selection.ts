import semver from 'semver';
import { BallastError } from '../errors/ballast-error.ts';

/** `[repo/]name[@range]`: chart versions to sync. */
export interface ChartSelector {
  /** As given, for messages. */
  text: string;
  repo?: string;
  name: string;
  /** A semver range; every version when absent. */
  range?: string;
}

export interface FileSelector {
  mirror: string;
  path: string;
}

export interface SyncSelection {
  /** Repositories whose charts are synced (all charts unless a chart selector applies). */
  repos: string[];
  charts: ChartSelector[];
  files: FileSelector[];
  provenance: boolean;
}

export interface SelectionInput {
  repos: readonly string[];
  charts: readonly string[];
  files: readonly string[];
  all: boolean;
  provenance: boolean;
}

/**
 * Turns the command line into what to sync, checked against the config: unknown repositories
 * or file mirrors, and ranges semver cannot read, are refused before anything is fetched.
 */
export function resolveSelection(
  input: SelectionInput,
  known: { repos: readonly string[]; files: readonly string[] },
): SyncSelection {
  const invalid = (selector: string, reason: string) =>
    new BallastError('BALLAST_SYNC_SELECTOR_INVALID', { selector, reason });
  const charts = input.charts.map((text) => parseChartSelector(text, invalid));
  const repos = new Set(input.all ? known.repos : input.repos);
  for (const chart of charts) if (chart.repo) repos.add(chart.repo);
  if (charts.some((c) => !c.repo) && input.repos.length === 0 && !input.all)
    for (const repo of known.repos) repos.add(repo);
  for (const repo of repos) {
    if (!known.repos.includes(repo))
      throw invalid(repo, `no repository of that name in the config (${list(known.repos)})`);
  }
  const files = input.files.map((text) => {
    const slash = text.indexOf('/');
    const mirror = text.slice(0, slash);
    const path = text.slice(slash + 1);
    if (slash <= 0 || path === '') throw invalid(text, 'expected MIRROR/PATH');
    if (!known.files.includes(mirror))
      throw invalid(text, `no file mirror named ${mirror} in the config (${list(known.files)})`);
    return { mirror, path };
  });
  if (repos.size === 0 && files.length === 0)
    throw invalid(
      '(nothing)',
      'say what to sync: --repo NAME, --chart [REPO/]NAME[@RANGE], --file MIRROR/PATH or --all',
    );
  return { repos: [...repos], charts, files, provenance: input.provenance };
}

function parseChartSelector(
  text: string,
  invalid: (selector: string, reason: string) => BallastError,
): ChartSelector {
  const at = text.indexOf('@');
  const target = at < 0 ? text : text.slice(0, at);
  const range = at < 0 ? undefined : text.slice(at + 1).trim();
  const slash = target.indexOf('/');
  const repo = slash < 0 ? undefined : target.slice(0, slash);
  const name = slash < 0 ? target : target.slice(slash + 1);
  if (name === '' || repo === '' || name.includes('/'))
    throw invalid(text, 'expected [REPO/]NAME[@RANGE], e.g. kube-prometheus-stack@>=60');
  if (range !== undefined && semver.validRange(range) === null)
    throw invalid(text, `"${range}" is not a semver range (e.g. >=60, ^1.2, 1.x, 1.2.3)`);
  return { text, ...(repo ? { repo } : {}), name, ...(range ? { range } : {}) };
}

/** The selectors that apply to a repository; none means "every chart". */
export function selectorsFor(selection: SyncSelection, repo: string): ChartSelector[] {
  return selection.charts.filter((c) => c.repo === undefined || c.repo === repo);
}

export function matches(selector: ChartSelector, name: string, version: string): boolean {
  if (selector.name !== name) return false;
  return selector.range === undefined || semver.satisfies(version, selector.range);
}

function list(names: readonly string[]): string {
  return names.length === 0 ? 'none configured' : `configured: ${names.join(', ')}`;
}
