import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { peerBinary } from '../test/support/debian-peers.ts';
import { withFreePort } from '../test/support/ports.ts';
import { startProcess, tcpProbe } from '../test/support/processes.ts';
import { removeDir, tempDir } from '../test/support/temp-dir.ts';

/** How nginx answers `Accept-Encoding: gzip` for the index. */
export type NginxGzipMode = 'on-the-fly' | 'static';

export interface NginxBaseline {
  url: string;
  /** The master's pid; its workers are its children. */
  pid: number;
  stop(): Promise<void>;
}

/**
 * Debian's nginx serving `root` the way a production static host would: one worker per core,
 * sendfile, keep-alive, `reuseport`, and gzip either computed per request (`gzip on`, at
 * Debian's default level 1) or read from a precompressed `.gz` next to the file
 * (`gzip_static on`). Access
 * logging is off because Ballast does not log requests at the bench's log level either.
 * The test harness's `startNginx` runs one worker with an access log, for counting upstream
 * hits; that is the wrong shape for a baseline, hence this one.
 */
export async function startNginxBaseline(options: {
  root: string;
  gzip: NginxGzipMode;
}): Promise<NginxBaseline> {
  const binary = peerBinary('nginx');
  const prefix = await tempDir('bench-nginx');
  await mkdir(join(prefix, 'temp'));
  try {
    return await withFreePort(async (port) => {
      const conf = join(prefix, 'nginx.conf');
      await writeFile(conf, baselineConf(prefix, resolve(options.root), port, options.gzip));
      const args = ['-p', prefix, '-c', conf, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'];
      // nginx writes its pid file only after binding, so a port clash cannot pass for ready.
      const ready = async () => existsSync(join(prefix, 'nginx.pid')) && tcpProbe(port)();
      const nginx = await startProcess(binary, args, { name: `nginx (${options.gzip})`, ready });
      return {
        url: `http://127.0.0.1:${port}`,
        pid: nginx.pid,
        async stop() {
          await nginx.stop();
          await removeDir(prefix);
        },
      };
    });
  } catch (error) {
    await removeDir(prefix);
    throw error;
  }
}

function baselineConf(prefix: string, root: string, port: number, gzip: NginxGzipMode): string {
  const temp = (name: string) => `${name}_temp_path ${join(prefix, 'temp', name)};`;
  return `
# As root, workers would drop to nobody, who may not read the temp dir or the served root.
${process.getuid?.() === 0 ? 'user root;' : ''}
worker_processes auto;
pid ${join(prefix, 'nginx.pid')};
lock_file ${join(prefix, 'nginx.lock')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 1024; }
http {
  types {
    application/x-yaml yaml yml;
    application/json json;
    application/gzip tgz gz;
  }
  default_type application/octet-stream;
  access_log off;
  ${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  ')}
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  keepalive_timeout 65;
  keepalive_requests 1000;
  gzip on;
  gzip_types application/json application/x-yaml;
  gzip_vary on;
  ${gzip === 'static' ? 'gzip_static on;' : ''}
  server {
    # One listening socket per worker: the kernel spreads connections over both workers, where
    # a shared socket can leave one worker with all 32 and the other idle.
    listen 127.0.0.1:${port} reuseport;
    root ${root};
    location / { try_files $uri =404; }
  }
}
`;
}
