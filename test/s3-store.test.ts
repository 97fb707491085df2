import { after } from 'node:test';
import { createS3Client } from '../src/store/s3/s3-client.ts';
import { createS3Store } from '../src/store/s3/s3-store.ts';
import { runStoreContract } from '../src/store/store-contract.ts';
import { type Rgw, startRgw } from './support/rgw.ts';

let rgw: Promise<Rgw> | undefined;
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
  rgw ??= startRgw();
  const { endpoint, bucket, env } = await rgw;
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
