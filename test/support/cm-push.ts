import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

export interface CmPushResult {
  status: number;
  body: string;
  json: Record<string, unknown> | undefined;
}

/**
 * Sends a chart the way `helm cm-push` (chartmuseum/helm-push) does: a multipart form whose
 * field `chart` carries the archive under the full path of the temporary file it packaged,
 * `application/octet-stream`, a boundary of 60 hex digits as Go's multipart writer makes it,
 * and no Content-Length (Go sends such a body chunked); `?force` when forced. `dropLast` cuts the end off the form (a truncated upload).
 */
export function cmPush(
  url: string,
  files: { chart?: { name: string; data: Buffer }; prov?: { name: string; data: Buffer } },
  options: { authorization?: string; force?: boolean; dropLast?: number } = {},
): Promise<CmPushResult> {
  const boundary = randomBytes(30).toString('hex');
  const parts: Buffer[] = [];
  for (const [field, file] of Object.entries(files)) {
    if (!file) continue;
    parts.push(
      Buffer.from(
        `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="/tmp/helm-push-1234/${file.name}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
      ),
      file.data,
      Buffer.from('\r\n'),
    );
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  let body = Buffer.concat(parts);
  if (options.dropLast) body = body.subarray(0, body.length - options.dropLast);
  return new Promise((resolve, reject) => {
    const target = new URL(options.force ? `${url}?force` : url);
    const req = request(target, {
      method: 'POST',
      headers: {
        'user-agent': 'Go-http-client/1.1',
        'content-type': `multipart/form-data; boundary=${boundary}`,
        'accept-encoding': 'gzip',
        ...(options.authorization ? { authorization: options.authorization } : {}),
      },
    });
    req.on('response', (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (c: Buffer) => chunks.push(c));
      response.on('end', () => {
        const text = Buffer.concat(chunks).toString();
        let json: Record<string, unknown> | undefined;
        try {
          json = JSON.parse(text) as Record<string, unknown>;
        } catch {
          json = undefined;
        }
        resolve({ status: response.statusCode ?? 0, body: text, json });
      });
      response.on('error', reject);
    });
    req.on('error', reject);
    // Written in pieces without a length: chunked, as Go sends a body of unknown length.
    for (let at = 0; at < body.length; at += 16 * 1024)
      req.write(body.subarray(at, at + 16 * 1024));
    req.end();
  });
}
