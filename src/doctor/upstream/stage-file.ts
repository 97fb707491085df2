import { finding } from '../findings.ts';
import { type HttpGetOptions, type HttpResponse, httpGet } from './http-get.ts';
import { failed, statusMeaning } from './stage-http.ts';
import type { StageResult } from './stage-result.ts';

/** A file mirror's payload: a HEAD of a file every upstream should have must answer 2xx. */
export async function filePayloadStage(
  url: URL,
  options: HttpGetOptions,
): Promise<Omit<StageResult, 'durationMs'>> {
  let response: HttpResponse;
  try {
    response = await httpGet(url, { ...options, method: 'HEAD' });
  } catch (error) {
    return { ...failed(url.href, error), stage: 'payload' };
  }
  if (response.status >= 200 && response.status < 300) {
    const length = response.headers['content-length'];
    return {
      stage: 'payload',
      status: 'ok',
      summary: `${response.url.pathname} is there${length ? ` (${length} bytes)` : ''}`,
      details: response.redirects,
      findings: [],
    };
  }
  return {
    stage: 'payload',
    status: 'fail',
    summary: `HEAD ${response.url.href} answered HTTP ${response.status}`,
    details: response.redirects,
    findings: [
      finding('upstream-file-missing', `${response.url.href} answered HTTP ${response.status}`),
    ],
    meaning: statusMeaning(response.status, '', 'file'),
  };
}
