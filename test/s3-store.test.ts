import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { createStore } from '../src/app/create-store.ts';
import { parseConfig } from '../src/config/load-config.ts';
import { isBallastError } from '../src/errors/ballast-error.ts';
import { createLogger } from '../src/observability/logger.ts';
import { createS3Client } from '../src/store/s3/s3-client.ts';
import { createS3Store } from '../src/store/s3/s3-store.ts';
import { runStoreContract } from '../src/store/store-contract.ts';
import { type Rgw, startRgw } from './support/rgw.ts';

let rgw: Promise<Rgw> | undefined;
/** One gateway for the file, started by the first test that needs it. */
const gateway = () => {
  rgw ??= startRgw();
  return rgw;
};
const silent = createLogger({ level: 'silent' });
after(async () => (await rgw)?.stop());

const retry = {
  maxAttempts: 4,
  baseDelayMs: 50,
  maxDelayMs: 500,
  retryAfterCapMs: 1000,
  deadlineMs: 10_000,
};
let stores = 0;

/** One gateway for the file; each store gets its own prefix, as separate deployments would. */
async function makeStore() {
  const { endpoint, bucket, env } = await gateway();
  // Credentials reach the store the way they reach Ballast: the SDK's default chain.
  Object.assign(process.env, env);
  const client = createS3Client({
    endpoint,
    forcePathStyle: true,
    retry,
    timeouts: { connectMs: 2000, idleMs: 10_000 },
  });
  stores += 1;
  return createS3Store({ client, bucket, prefix: `contract-${stores}/`, retry, pageSize: 7 });
}

runStoreContract('s3 store (Ceph RGW)', makeStore);

describe('the S3 store chosen by the config', () => {
  const config = async (s3: Record<string, unknown>) => {
    const { endpoint, bucket, env } = await gateway();
    Object.assign(process.env, env);
    return parseConfig(
      JSON.stringify({ storage: { s3: { bucket, endpoint, forcePathStyle: true, ...s3 } } }),
      'ballast.yaml',
    ).config;
  };

  test('a missing bucket stops start-up with one clear error', async () => {
    await assert.rejects(
      createStore(await config({ bucket: 'no-such-bucket' }), silent),
      (error) =>
        isBallastError(error, 'BALLAST_STORE_FAILED') && /NoSuchBucket|404/.test(error.message),
    );
  });

  test('wrong credentials stop start-up and are never retried as if transient', async () => {
    const { env } = await gateway();
    const settings = await config({});
    process.env.AWS_SECRET_ACCESS_KEY = 'wrong';
    try {
      const started = Date.now();
      await assert.rejects(createStore(settings, silent), (error) =>
        isBallastError(error, 'BALLAST_STORE_FAILED'),
      );
      assert.ok(Date.now() - started < 2000, 'no retries');
    } finally {
      Object.assign(process.env, env);
    }
  });

  test('with storage.s3 no data directory is created; the bucket holds what is written', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-s3-nodata-'));
    const dataDir = join(dir, 'data');
    const store = await createStore(
      {
        ...(await config({ prefix: 'factory/' })),
        storage: { fs: { path: dataDir }, s3: (await config({ prefix: 'factory/' })).storage.s3 },
      },
      silent,
    );
    await store.putDocument('repos/x/served', '{}');
    assert.equal((await store.getDocument('repos/x/served'))?.toString(), '{}');
    await store.close();
    assert.ok(!existsSync(dataDir));
    await rm(dir, { recursive: true, force: true });
  });
});
