// A tiny classic chart repository for the quick start: serves examples/demo-repo on
// 127.0.0.1:8081 (or the port given as the first argument). Not part of Ballast itself.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createServer } from 'node:http';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('./demo-repo/', import.meta.url));
const port = Number(process.argv[2] ?? 8081);

createServer(async (request, response) => {
  const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname));
  const file = join(root, path);
  const info = file.startsWith(root) ? await stat(file).catch(() => undefined) : undefined;
  if (!info?.isFile()) {
    response.writeHead(404).end('not found\n');
    return;
  }
  response.writeHead(200, { 'content-length': info.size });
  createReadStream(file).pipe(response);
}).listen(port, '127.0.0.1', () =>
  console.log(`demo chart repository on http://127.0.0.1:${port}/`),
);
