import { createHash } from 'node:crypto';
import { gunzipSync } from 'node:zlib';
import { httpRequest } from '../test/support/http.ts';

/**
 * Checks that a URL answers the gzip'd index with the benchmark's chart in it, so a
 * throughput figure is never the speed of an error page. Returns the compressed size.
 */
export async function checkIndexResponse(url: string, chartFile: string): Promise<number> {
  const response = await httpRequest(url, { headers: { 'accept-encoding': 'gzip' } });
  const problem = (what: string) => new Error(`${url}: ${what}`);
  if (response.status !== 200) throw problem(`status ${response.status}`);
  if (response.headers['content-encoding'] !== 'gzip') {
    throw problem(`content-encoding ${response.headers['content-encoding'] ?? 'none'}, not gzip`);
  }
  const text = gunzipSync(response.body).toString('utf8');
  if (!text.includes(chartFile)) throw problem(`the index does not name ${chartFile}`);
  return response.body.length;
}

/** Checks that a URL answers the chart archive byte for byte (by its sha256). */
export async function checkChartResponse(url: string, digest: string): Promise<number> {
  const response = await httpRequest(url, { headers: { 'accept-encoding': 'gzip' } });
  if (response.status !== 200) throw new Error(`${url}: status ${response.status}`);
  const actual = createHash('sha256').update(response.body).digest('hex');
  if (actual !== digest) throw new Error(`${url}: sha256 ${actual}, expected ${digest}`);
  return response.body.length;
}
