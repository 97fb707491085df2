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

/**
 * Checks that a URL answers the request Helm sends (no Accept-Encoding) with the identity
 * index, a Content-Length that is its length, and the benchmark's chart in it. Returns it.
 */
export async function checkIdentityIndexResponse(
  url: string,
  headers: Record<string, string>,
  chartFile: string,
): Promise<Buffer> {
  const response = await httpRequest(url, { headers });
  const problem = (what: string) => new Error(`${url}: ${what}`);
  if (response.status !== 200) throw problem(`status ${response.status}`);
  if (response.headers['content-encoding']) {
    throw problem(`content-encoding ${response.headers['content-encoding']}, not identity`);
  }
  if (response.headers['content-length'] !== String(response.body.length)) {
    throw problem(
      `content-length ${response.headers['content-length']} for ${response.body.length} bytes`,
    );
  }
  if (!response.body.includes(chartFile)) throw problem(`the index does not name ${chartFile}`);
  return response.body;
}

/** Checks that a URL answers the chart archive byte for byte (by its sha256). */
export async function checkChartResponse(url: string, digest: string): Promise<number> {
  const response = await httpRequest(url, { headers: { 'accept-encoding': 'gzip' } });
  if (response.status !== 200) throw new Error(`${url}: status ${response.status}`);
  const actual = createHash('sha256').update(response.body).digest('hex');
  if (actual !== digest) throw new Error(`${url}: sha256 ${actual}, expected ${digest}`);
  return response.body.length;
}

/** A manifest as a server answered it, checked against its own digest. */
export interface ManifestAnswer {
  body: Buffer;
  /** `Docker-Content-Digest`: the sha256 of the body. */
  digest: string;
  contentType: string;
  /** The Helm chart layer the manifest names. */
  layerDigest: string;
}

const helmChartLayer = 'application/vnd.cncf.helm.chart.content.v1.tar+gzip';

/**
 * Checks that a URL answers an OCI manifest for a Helm chart: status 200, a
 * `Docker-Content-Digest` that is the sha256 of the bytes, a `Content-Length` that is their
 * length, and a chart layer in it.
 */
export async function checkManifestResponse(
  url: string,
  headers: Record<string, string>,
): Promise<ManifestAnswer> {
  const response = await httpRequest(url, { headers });
  const problem = (what: string) => new Error(`${url}: ${what}`);
  if (response.status !== 200) throw problem(`status ${response.status}`);
  const digest = `sha256:${createHash('sha256').update(response.body).digest('hex')}`;
  const said = response.headers['docker-content-digest'];
  if (said !== digest) throw problem(`Docker-Content-Digest ${said}, but the body is ${digest}`);
  if (response.headers['content-length'] !== String(response.body.length)) {
    throw problem(
      `Content-Length ${response.headers['content-length']} for ${response.body.length} bytes`,
    );
  }
  const manifest = JSON.parse(response.body.toString('utf8')) as {
    layers?: { mediaType?: string; digest?: string }[];
  };
  const layer = manifest.layers?.find((l) => l.mediaType === helmChartLayer);
  if (!layer?.digest) throw problem(`the manifest has no ${helmChartLayer} layer`);
  return {
    body: response.body,
    digest,
    contentType: response.headers['content-type'] ?? '',
    layerDigest: layer.digest,
  };
}

/** Checks that a URL answers a blob byte for byte (its `sha256:` digest). */
export async function checkBlobResponse(url: string, digest: string): Promise<number> {
  return checkChartResponse(url, digest.replace(/^sha256:/, ''));
}
