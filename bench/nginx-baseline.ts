import { resolve } from 'node:path';
import { nginxBasics, runNginx } from '../test/support/nginx.ts';

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
 * (`gzip_static on`). Access logging is off because Ballast does not log requests at the bench's log level either.
 * The test harness's `startNginx` runs one worker with an access log, for counting upstream
 * hits; that is the wrong shape for a baseline, hence this one.
 */
export async function startNginxBaseline(options: {
  root: string;
  gzip: NginxGzipMode;
}): Promise<NginxBaseline> {
  const root = resolve(options.root);
  const { url, pid, stop } = await runNginx(`nginx-${options.gzip}`, (prefix, port) =>
    baselineConf(prefix, root, port, options.gzip),
  );
  return { url, pid, stop };
}

function baselineConf(prefix: string, root: string, port: number, gzip: NginxGzipMode): string {
  const basics = nginxBasics(prefix);
  return `${basics.main}
worker_processes auto;
http {
  types {
    application/x-yaml yaml yml;
    application/json json;
    application/gzip tgz gz;
  }
  default_type application/octet-stream;
  access_log off;
  ${basics.http}
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
