import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { peerBinary } from './debian-peers.ts';
import { withFreePort } from './ports.ts';
import { startProcess, tcpProbe } from './processes.ts';
import { removeDir, tempDir } from './temp-dir.ts';

export interface Nginx {
  url: string;
  port: number;
  /** Lines of the access log so far (method, path, status, bytes), to count upstream hits. */
  accessLog(): Promise<string[]>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Debian's real nginx serving `root` as static files on 127.0.0.1, in the foreground,
 * with its config, pid, logs and temp paths all in a temp dir that `stop()` removes.
 */
export async function startNginx(options: { root: string; gzip?: boolean }): Promise<Nginx> {
  const binary = peerBinary('nginx');
  const prefix = await tempDir('nginx');
  await mkdir(join(prefix, 'temp'));
  try {
    return await withFreePort(async (port) => {
      const conf = join(prefix, 'nginx.conf');
      await writeFile(conf, nginxConf(prefix, resolve(options.root), port, options.gzip ?? false));
      const args = ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'];
      const url = `http://127.0.0.1:${port}`;
      // nginx writes its pid file only after binding, so a clash cannot pass for readiness.
      const ready = async () => existsSync(join(prefix, 'nginx.pid')) && tcpProbe(port)();
      const nginx = await startProcess(binary, args, { ready });
      const stop = async () => {
        await nginx.stop();
        await removeDir(prefix);
      };
      const accessLog = async () =>
        (await readFile(join(prefix, 'access.log'), 'utf8')).split('\n').filter(Boolean);
      return { url, port, accessLog, stop, [Symbol.asyncDispose]: stop };
    });
  } catch (error) {
    await removeDir(prefix);
    throw error;
  }
}

function nginxConf(prefix: string, root: string, port: number, gzip: boolean): string {
  const temp = (name: string) => `${name}_temp_path ${join(prefix, 'temp', name)};`;
  return `
# As root, workers would drop to nobody, who may not read the temp dir or the served root.
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
lock_file ${join(prefix, 'nginx.lock')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 1024; }
http {
  types {
    application/x-yaml yaml yml;
    application/json json;
    application/gzip tgz gz;
    text/plain txt prov sha256 sha256sum;
  }
  default_type application/octet-stream;
  log_format ballast '$request_method $uri $status $body_bytes_sent';
  access_log ${join(prefix, 'access.log')} ballast;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  sendfile on;
  tcp_nopush on;
  keepalive_timeout 65;
  gzip ${gzip ? 'on' : 'off'};
  gzip_types application/json application/x-yaml text/yaml text/plain;
  gzip_min_length 256;
  gzip_vary on;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location / { try_files $uri =404; }
  }
}
`;
}
