import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import yaml from 'js-yaml';
import { type BallastProcess, startBallastProcess } from './ballast.ts';
import { runBallastCli } from './ballast-cli.ts';
import { buildClassicRepo, type ClassicRepo } from './classic-repo.ts';
import { peerBinary } from './debian-peers.ts';
import { type StaticServer, startStaticServer } from './static-server.ts';

const exec = promisify(execFile);

/** Users as operators make them, with the real `htpasswd -B`. */
export const users = { alice: 'alice-Secret-1', bob: 'bob-Secret-2' } as const;

export interface AuthSetup {
  ballast: BallastProcess;
  upstream: ClassicRepo;
  server: StaticServer;
  /** A bearer token named `ci`, made with `ballast auth hash-token`. */
  ciToken: string;
  htpasswdFile: string;
  stop(): Promise<void>;
}

/** Writes an htpasswd file with `htpasswd -cbB` for every user given. */
export async function writeHtpasswd(file: string, entries: Record<string, string>) {
  const htpasswd = peerBinary('htpasswd');
  let create = true;
  for (const [user, password] of Object.entries(entries)) {
    await exec(htpasswd, [create ? '-cbB' : '-bB', file, user, password]);
    create = false;
  }
}

/** A new token and its config entry, from the real CLI. */
export async function hashToken(name: string): Promise<{ token: string; entry: unknown }> {
  const run = await runBallastCli(['auth', 'hash-token', '--name', name]);
  if (run.code !== 0) throw new Error(`auth hash-token failed: ${run.stderr}`);
  const [token, line] = run.stdout.trim().split('\n');
  const entries = yaml.load(line ?? '') as unknown[];
  return { token: token ?? '', entry: entries[0] };
}

/**
 * One classic upstream served twice: `public` (anonymous read) and `private` (alice and the
 * `ci` token read; bob is a valid user without the right).
 */
export async function startAuthSetup(workDir: string): Promise<AuthSetup> {
  const upstream = await buildClassicRepo(join(workDir, 'upstream'), {
    charts: [{ chart: 'demo-app', versions: ['0.1.0', '1.0.0'] }],
  });
  const server = await startStaticServer({ root: upstream.dir });
  const htpasswdFile = join(workDir, 'htpasswd');
  await writeHtpasswd(htpasswdFile, users);
  const ci = await hashToken('ci');
  try {
    const ballast = await startBallastProcess({
      auth: {
        htpasswd: htpasswdFile,
        tokens: [ci.entry],
        throttle: { delay: '20ms', maxDelay: '300ms' },
      },
      repos: [
        { name: 'public', upstreams: [{ url: server.url }] },
        {
          name: 'private',
          upstreams: [{ url: server.url }],
          access: { read: ['alice', 'ci'] },
        },
      ],
    });
    return {
      ballast,
      upstream,
      server,
      ciToken: ci.token,
      htpasswdFile,
      async stop() {
        await ballast.stop();
        await server.stop();
      },
    };
  } catch (error) {
    await server.stop();
    throw error;
  }
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
