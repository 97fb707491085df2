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
  /**
   * Lines of the access log so far (method, path, status, bytes, and with `userFile` the
   * user nginx authenticated, `-` for none), to count upstream hits.
   */
  accessLog(): Promise<string[]>;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Debian's real nginx serving `root` as static files on 127.0.0.1, in the foreground,
 * with its config, pid, logs and temp paths all in a temp dir that `stop()` removes.
 */
export async function startNginx(options: {
  root: string;
  gzip?: boolean;
  /** An htpasswd file: every request then needs Basic auth (`auth_basic`). */
  userFile?: string;
}): Promise<Nginx> {
  const root = resolve(options.root);
  const nginx = await runNginx('nginx', (prefix, port) =>
    nginxConf(prefix, root, port, options.gzip ?? false, options.userFile),
  );
  const accessLog = async () =>
    (await readFile(join(nginx.prefix, 'access.log'), 'utf8')).split('\n').filter(Boolean);
  return { ...nginx, accessLog, [Symbol.asyncDispose]: nginx.stop };
}

export interface NginxProcess {
  url: string;
  port: number;
  /** The master's pid; its workers are its children. */
  pid: number;
  /** The temp dir holding config, pid, logs and temp paths. */
  prefix: string;
  stop(): Promise<void>;
}

/**
 * Runs nginx in the foreground on a free port with the config `conf` writes for the temp dir
 * and the port; the config starts with `nginxBasics(prefix)`.
 */
export async function runNginx(
  name: string,
  conf: (prefix: string, port: number) => string,
): Promise<NginxProcess> {
  const binary = peerBinary('nginx');
  const prefix = await tempDir(name);
  await mkdir(join(prefix, 'temp'));
  try {
    return await withFreePort(async (port) => {
      const file = join(prefix, 'nginx.conf');
      await writeFile(file, conf(prefix, port));
      const args = ['-p', prefix, '-c', file, '-e', join(prefix, 'error.log'), '-g', 'daemon off;'];
      // nginx writes its pid file only after binding, so a port clash cannot pass for ready.
      const ready = async () => existsSync(join(prefix, 'nginx.pid')) && tcpProbe(port)();
      const nginx = await startProcess(binary, args, { name, ready });
      return {
        url: `http://127.0.0.1:${port}`,
        port,
        pid: nginx.pid,
        prefix,
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

/** What every config here needs: its files in the temp dir, and a user that may read them. */
export function nginxBasics(prefix: string): { main: string; http: string } {
  const temp = (name: string) => `${name}_temp_path ${join(prefix, 'temp', name)};`;
  return {
    main: `
# As root, workers would drop to nobody, who may not read the temp dir or the served root.
${process.getuid?.() === 0 ? 'user root;' : ''}
pid ${join(prefix, 'nginx.pid')};
lock_file ${join(prefix, 'nginx.lock')};
error_log ${join(prefix, 'error.log')} warn;
events { worker_connections 1024; }`,
    http: ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map(temp).join('\n  '),
  };
}

function nginxConf(
  prefix: string,
  root: string,
  port: number,
  gzip: boolean,
  userFile: string | undefined,
): string {
  const auth = userFile
    ? `auth_basic "private charts";\n    auth_basic_user_file ${resolve(userFile)};`
    : '';
  const basics = nginxBasics(prefix);
  return `${basics.main}
worker_processes 1;
http {
  types {
    application/x-yaml yaml yml;
    application/json json;
    application/gzip tgz gz;
    text/plain txt prov sha256 sha256sum;
  }
  default_type application/octet-stream;
  log_format ballast '$request_method $uri $status $body_bytes_sent${userFile ? ' $remote_user' : ''}';
  access_log ${join(prefix, 'access.log')} ballast;
  ${basics.http}
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
    ${auth}
    location / { try_files $uri =404; }
  }
}
`;
}
