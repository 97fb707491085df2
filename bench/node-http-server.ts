// Run by node-http-baseline.ts: `node bench/node-http-server.ts FILE PORT`.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

const [file, port] = process.argv.slice(2);
if (!file || !port) throw new Error('usage: node-http-server.ts FILE PORT');
const body = readFileSync(file);
// The headers Ballast sends with a chart, so both answers are the same size.
const headers = {
  'content-type': 'application/gzip',
  'content-length': body.length,
  etag: `"sha256:${createHash('sha256').update(body).digest('hex')}"`,
  'cache-control': 'public, max-age=31536000, immutable',
};
createServer((_request, response) => {
  response.writeHead(200, headers);
  response.end(body);
}).listen({ host: '127.0.0.1', port: Number(port) });
