import { isBallastError } from '../../errors/ballast-error.ts';
import { type ParsedIndex, parseIndex } from '../../helm/index-parse.ts';
import { finding } from '../findings.ts';
import { type HttpGetOptions, type HttpResponse, httpGet } from './http-get.ts';
import { failed, statusMeaning } from './stage-http.ts';
import type { StageResult } from './stage-result.ts';
import type { UpstreamTarget } from './upstream-target.ts';

type PayloadResult = Omit<StageResult, 'durationMs'>;

/** The last good index of this upstream, for probes that compare against it. */
export interface PreviousIndex {
  versions: number;
  /** guard.maxShrink of the repository: a fraction between 0 and 1. */
  maxShrink: number;
}

export type ClassicPayloadResult = PayloadResult & { versions?: number };

/**
 * index.yaml must parse with Ballast's own parser (strict YAML as Helm parses it, the rules
 * the guard applies) and list at least one chart; with a previous index, it must not have
 * shrunk past the guard's limit. A 304 answer to a probe's conditional GET is the previous
 * index, unchanged.
 */
export function classicPayloadStage(
  response: HttpResponse,
  previous?: PreviousIndex,
): ClassicPayloadResult {
  if (response.status === 304 && previous) {
    return {
      stage: 'payload',
      status: 'ok',
      summary: `index.yaml unchanged (304), ${previous.versions} versions`,
      details: [],
      findings: [],
      versions: previous.versions,
    };
  }
  let parsed: ParsedIndex;
  try {
    parsed = parseIndex(response.body, response.url.href);
  } catch (error) {
    if (!isBallastError(error)) throw error;
    return invalid(
      `index.yaml does not parse: ${error.message.split('\n')[0]}`,
      'an HTML error page, a truncated download or a broken publishing job; Helm refuses it too, and the Ballast guard keeps the last good index',
    );
  }
  const { index, versions, skipped } = parsed;
  const charts = Object.keys(index.entries);
  const details = [`apiVersion ${index.apiVersion}`, `generated ${index.generated ?? '(missing)'}`];
  if (skipped.length > 0) details.push(`${skipped.length} entries Helm would skip`);
  if (versions === 0) {
    return {
      stage: 'payload',
      status: 'fail',
      summary: 'index.yaml lists no chart',
      details,
      findings: [
        finding(
          'upstream-payload-empty',
          `${response.url.href} parses but lists no chart versions`,
        ),
      ],
      meaning:
        'an empty index: a publishing job that wiped the repository; the Ballast guard refuses it and keeps the last good one',
      versions,
    };
  }
  const sample = charts.slice(0, 5).join(', ');
  const summary = `index.yaml lists ${charts.length} chart${charts.length === 1 ? '' : 's'}, ${versions} version${versions === 1 ? '' : 's'}`;
  details.push(`charts ${sample}${charts.length > 5 ? ', …' : ''}`);
  if (previous && versions < previous.versions * (1 - previous.maxShrink)) {
    const message = `${response.url.href} lists ${versions} versions, down from ${previous.versions}: more than the guard allows`;
    return {
      stage: 'payload',
      status: 'warn',
      summary: `${summary}, down from ${previous.versions}`,
      details,
      findings: [finding('upstream-payload-shrunk', message)],
      meaning:
        'the index shrank more than guard.maxShrink: a broken publishing job; the guard refuses it and keeps serving the last good index',
      versions,
    };
  }
  return { stage: 'payload', status: 'ok', summary, details, findings: [], versions };
}

/** The OCI tag list of the repository must answer and hold at least one tag. */
export async function ociPayloadStage(
  target: UpstreamTarget,
  options: HttpGetOptions,
  authorization?: string,
): Promise<PayloadResult> {
  const url = new URL(`/v2/${target.repository}/tags/list`, target.probeUrl);
  let response: HttpResponse;
  try {
    response = await httpGet(
      url,
      authorization ? { ...options, headers: { authorization } } : options,
    );
  } catch (error) {
    return { ...failed(url.href, error), stage: 'payload' };
  }
  if (response.status !== 200) {
    return {
      stage: 'payload',
      status: 'fail',
      summary: `tag list answered HTTP ${response.status}`,
      details: [response.body.toString('utf8', 0, 300)],
      findings: [finding('upstream-http-status', `${url.href} answered HTTP ${response.status}`)],
      meaning: statusMeaning(response.status, response.body.toString('utf8', 0, 4096), 'oci'),
    };
  }
  let tags: unknown;
  try {
    tags = (JSON.parse(response.body.toString('utf8')) as { tags?: unknown }).tags;
  } catch {
    return invalid(
      `${url.href} does not answer JSON`,
      'not an OCI Distribution registry, or a proxy answering in its place',
    );
  }
  if (tags !== null && tags !== undefined && !Array.isArray(tags)) {
    return invalid(`${url.href}: tags is not a list`, 'not an OCI Distribution registry');
  }
  const list = (tags ?? []) as unknown[];
  if (list.length === 0) {
    return {
      stage: 'payload',
      status: 'fail',
      summary: `${target.repository} has no tags`,
      details: [],
      findings: [finding('upstream-payload-empty', `${target.repository} exists but has no tags`)],
      meaning:
        'the repository exists but holds no chart version: nothing was pushed, or it was cleaned up',
    };
  }
  const shown = list.slice(-5).map(String).join(', ');
  return {
    stage: 'payload',
    status: 'ok',
    summary: `${target.repository} has ${list.length} tag${list.length === 1 ? '' : 's'}`,
    details: [`tags ${list.length > 5 ? '…, ' : ''}${shown}`],
    findings: [],
  };
}

function invalid(message: string, meaning: string): PayloadResult {
  return {
    stage: 'payload',
    status: 'fail',
    summary: message,
    details: [],
    findings: [finding('upstream-payload-invalid', message)],
    meaning,
  };
}
