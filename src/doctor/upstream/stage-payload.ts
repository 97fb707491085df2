import { load } from 'js-yaml';
import { finding } from '../findings.ts';
import { type HttpGetOptions, type HttpResponse, httpGet } from './http-get.ts';
import { failed, statusMeaning } from './stage-http.ts';
import type { StageResult } from './stage-result.ts';
import type { UpstreamTarget } from './upstream-target.ts';

type PayloadResult = Omit<StageResult, 'durationMs'>;

/** index.yaml must parse strictly (as Helm parses it) and list at least one chart. */
export function classicPayloadStage(response: HttpResponse): PayloadResult {
  const text = response.body.toString('utf8');
  let index: unknown;
  try {
    // JSON is valid YAML, but JSON.parse is much faster on large indexes.
    index = text.trimStart().startsWith('{') ? JSON.parse(text) : load(text);
  } catch (error) {
    const reason = (error instanceof Error ? error.message : String(error)).split('\n')[0];
    return invalid(
      `index.yaml does not parse: ${reason}`,
      'an HTML error page, a truncated download or a broken publishing job; Helm refuses it too, and the Ballast guard keeps the last good index',
    );
  }
  const entries = isRecord(index) ? index.entries : undefined;
  if (!isRecord(index) || (entries !== undefined && entries !== null && !isRecord(entries))) {
    return invalid(
      'the document is not a Helm repository index (no entries map)',
      'the URL serves some other YAML: check that it points at the repository root',
    );
  }
  const charts = isRecord(entries) ? Object.entries(entries) : [];
  const versions = charts.reduce(
    (sum, [, list]) => sum + (Array.isArray(list) ? list.length : 0),
    0,
  );
  const details = [
    `apiVersion ${String(index.apiVersion ?? '(missing)')}`,
    `generated ${String(index.generated ?? '(missing)')}`,
  ];
  if (charts.length === 0 || versions === 0) {
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
    };
  }
  const sample = charts
    .slice(0, 5)
    .map(([name]) => name)
    .join(', ');
  return {
    stage: 'payload',
    status: 'ok',
    summary: `index.yaml lists ${charts.length} chart${charts.length === 1 ? '' : 's'}, ${versions} version${versions === 1 ? '' : 's'}`,
    details: [...details, `charts ${sample}${charts.length > 5 ? ', …' : ''}`],
    findings: [],
  };
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

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
