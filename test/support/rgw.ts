import { execFile } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { promisify } from 'node:util';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { type BallastProcess, startBallastProcess } from './ballast.ts';
import { requireExecutable } from './debian-peers.ts';
import { freePort, withFreePort } from './ports.ts';
import { httpProbe, type RunningProcess, startProcess } from './processes.ts';
import { removeDir, tempDir } from './temp-dir.ts';

const run = promisify(execFile);

/** The Ceph programs the gateway needs, and the Debian package of each. */
const cephPrograms = {
  monmaptool: ['/usr/bin/monmaptool', 'ceph-base'],
  mon: ['/usr/bin/ceph-mon', 'ceph-mon'],
  osd: ['/usr/bin/ceph-osd', 'ceph-osd'],
  ceph: ['/usr/bin/ceph', 'ceph-common'],
  rgw: ['/usr/bin/radosgw', 'radosgw'],
  admin: ['/usr/bin/radosgw-admin', 'ceph-common'],
} as const;

export interface Rgw {
  /** `http://127.0.0.1:PORT` */
  endpoint: string;
  region: string;
  bucket: string;
  credentials: { accessKeyId: string; secretAccessKey: string };
  /** What a Ballast process needs in its environment to reach the bucket (the SDK's chain). */
  env: Record<string, string>;
  /** A client with the settings Ballast uses, for tests that look into the bucket. */
  client(): S3Client;
  stop(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/**
 * Ceph RADOS Gateway (Debian's Ceph 16 "pacific") on a throw-away single-node cluster: one
 * monitor, one OSD on the in-memory objectstore, no authentication between the daemons, all
 * on 127.0.0.1 and in a temp dir; one user and one bucket. Every byte stored lives in the
 * OSD's memory, so tests keep their data small. Each daemon runs in the foreground under
 * startProcess, so a test that fails still stops all of them.
 */
export async function startRgw({ bucket = 'ballast' } = {}): Promise<Rgw> {
  const bin = Object.fromEntries(
    Object.entries(cephPrograms).map(([name, [binary, pkg]]) => [
      name,
      requireExecutable(binary, pkg),
    ]),
  ) as Record<keyof typeof cephPrograms, string>;
  const dir = await tempDir('rgw');
  const running: RunningProcess[] = [];
  const stop = async () => {
    // The gateway first (it talks to the OSD on its way out), then the OSD, then the monitor.
    for (const daemon of running.reverse()) await daemon.stop();
    running.length = 0;
    await removeDir(dir);
  };
  try {
    for (const sub of ['run', 'log', 'mon/a', 'osd/0', 'rgw', 'tmp'])
      await mkdir(join(dir, sub), { recursive: true });
    const conf = join(dir, 'ceph.conf');
    const monPort = await freePort();
    const fsid = randomUUID();
    const osdUuid = randomUUID();
    await writeFile(conf, cephConfig(dir, fsid, monPort));
    const c = ['-c', conf];
    await run(bin.monmaptool, [
      '--create',
      '--fsid',
      fsid,
      '--addv',
      'a',
      `[v2:127.0.0.1:${monPort}]`,
      join(dir, 'run/monmap'),
    ]);
    await run(bin.mon, [...c, '--mkfs', '-i', 'a', '--monmap', join(dir, 'run/monmap')]);
    await run(bin.osd, [...c, '--no-mon-config', '-i', '0', '--mkfs', '--osd-uuid', osdUuid]);
    running.push(await startProcess(bin.mon, [...c, '-f', '-i', 'a'], { name: 'ceph-mon' }));
    await run(bin.ceph, [...c, '--connect-timeout', '20', 'osd', 'new', osdUuid, '0'], {
      timeout: 30_000,
    });
    const osdLog = join(dir, 'log/osd.0.log');
    running.push(
      await startProcess(bin.osd, [...c, '-f', '-i', '0'], {
        name: 'ceph-osd',
        readyTimeoutMs: 30_000,
        // The gateway creates its pools at start; they go active quickest once the OSD is up.
        ready: async () => (await readFile(osdLog, 'utf8')).includes('state: booting -> active'),
      }),
    );
    const endpoint = await withFreePort(async (port) => {
      const url = `http://127.0.0.1:${port}`;
      const rgw = await startProcess(
        bin.rgw,
        [...c, '-f', '-n', 'client.rgw', '--rgw-frontends', `beast endpoint=127.0.0.1:${port}`],
        {
          name: 'radosgw',
          readyTimeoutMs: 60_000,
          ready: httpProbe(url, (r) => r.statusCode === 200),
        },
      ).catch(async (error: unknown) => {
        const log = await readFile(join(dir, 'log/client.rgw.log'), 'utf8').catch(() => '');
        throw new Error(`${(error as Error).message}\n${log.slice(-2000)}`);
      });
      running.push(rgw);
      return url;
    });
    const credentials = {
      accessKeyId: randomBytes(10).toString('hex').toUpperCase(),
      secretAccessKey: randomBytes(20).toString('hex'),
    };
    await run(
      bin.admin,
      [
        ...c,
        '-n',
        'client.admin',
        'user',
        'create',
        '--uid=ballast',
        '--display-name=ballast tests',
        `--access-key=${credentials.accessKeyId}`,
        `--secret-key=${credentials.secretAccessKey}`,
      ],
      { timeout: 60_000 },
    );
    const region = 'us-east-1';
    const client = () =>
      new S3Client({
        endpoint,
        region,
        credentials,
        forcePathStyle: true,
        requestChecksumCalculation: 'WHEN_REQUIRED',
        responseChecksumValidation: 'WHEN_REQUIRED',
      });
    await createBucket(client(), bucket);
    return {
      endpoint,
      region,
      bucket,
      credentials,
      env: {
        AWS_ACCESS_KEY_ID: credentials.accessKeyId,
        AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
        AWS_REGION: region,
      },
      client,
      stop,
      [Symbol.asyncDispose]: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

async function createBucket(client: S3Client, bucket: string): Promise<void> {
  try {
    // The gateway answers before its pools are all active; the first create may have to wait.
    for (let attempt = 1; ; attempt++) {
      try {
        await client.send(new CreateBucketCommand({ Bucket: bucket }));
        return;
      } catch (error) {
        if (attempt >= 20) throw error;
        await sleep(250);
      }
    }
  } finally {
    client.destroy();
  }
}

function cephConfig(dir: string, fsid: string, monPort: number): string {
  return `[global]
fsid = ${fsid}
mon host = v2:127.0.0.1:${monPort}
public addr = 127.0.0.1
cluster addr = 127.0.0.1
ms bind msgr1 = false
ms bind msgr2 = true
# no authentication means no secure mode either: plain CRC frames
ms mon client mode = crc
ms client mode = crc
auth cluster required = none
auth service required = none
auth client required = none
run dir = ${dir}/run
admin socket =
pid file = ${dir}/run/$name.pid
log file = ${dir}/log/$name.log
mon cluster log file = ${dir}/log/cluster.log
tmp dir = ${dir}/tmp
keyring = ${dir}/keyring
mon data = ${dir}/mon/$id
osd data = ${dir}/osd/$id
debug ms = 0/0
debug osd = 1/1
debug mon = 0/0
debug paxos = 0/0
debug rgw = 1/1
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon warn on pool no redundancy = false
mon data avail warn = 1
mon data avail crit = 0
paxos propose interval = 0.01
paxos min wait = 0.001
[osd]
osd objectstore = memstore
memstore device bytes = 2147483648
osd op num shards = 1
osd op num threads per shard = 2
osd mon shutdown timeout = 1
[client.rgw]
rgw data = ${dir}/rgw
rgw thread pool size = 32
rgw enable apis = s3, admin
rgw run sync thread = false
rgw enable lc threads = false
`;
}

/**
 * `ballast serve` with the bucket as its store (through `endpoint`, e.g. a fault proxy), the
 * credentials in its environment as the SDK's chain reads them, and a data dir it must not
 * create.
 */
export function startS3Replica(
  rgw: Rgw,
  dataDir: string,
  config: Record<string, unknown>,
  endpoint = rgw.endpoint,
): Promise<BallastProcess> {
  return startBallastProcess(
    {
      storage: {
        fs: { path: dataDir },
        s3: { bucket: rgw.bucket, endpoint, forcePathStyle: true },
      },
      ...config,
    },
    { dataDir, env: rgw.env },
  );
}
