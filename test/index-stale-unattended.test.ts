import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { eventually, httpRequest, metricValue } from './support/http.ts';
import { type Nginx, startNginx } from './support/nginx.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const index = `apiVersion: v1\nentries:\n  quiet:\n  - name: quiet\n    version: 1.0.0\n    urls: [quiet-1.0.0.tgz]\n    digest: ${'a'.repeat(64)}\n`;
const staleForMs = 2000;

/**
 * Regression: `index.stale` used to be noticed only when a client asked for the index, so a
 * repository nobody pulled from could lose its upstream for days without a word.
 */
describe('a stale index nobody asks for', () => {
  let dir: string;
  let nginx: Nginx | undefined;
  let receiver: WebhookReceiver;
  let ballast: BallastProcess;

  before(async () => {
    dir = await tempDir('stale-unattended');
    await mkdir(join(dir, 'www', 'quiet'), { recursive: true });
    await writeFile(join(dir, 'www', 'quiet', 'index.yaml'), index);
    nginx = await startNginx({ root: join(dir, 'www') });
    receiver = await startWebhookReceiver();
    ballast = await startBallastProcess({
      repos: [{ name: 'quiet', upstreams: [{ url: `${nginx.url}/quiet/` }], refresh: '1s' }],
      // A refused connection is retried; two attempts keep one failed revalidation short.
      resilience: { deadline: '3s', retry: { maxAttempts: 2 } },
      probes: { interval: '1s' },
      alerts: { staleFor: `${staleForMs}ms`, webhooks: [{ url: `${receiver.url}/json` }] },
    });
  });
  after(async () => {
    await ballast?.stop();
    await receiver?.stop();
    await nginx?.stop();
    await removeDir(dir);
  });

  it('is announced within a bounded time after the upstream stops, with the metric', async () => {
    // Start-up fetches the index once; from then on no client asks for it.
    await eventually(async () => {
      assert.equal(await metricValue(ballast.url, 'ballast_index_versions', { repo: 'quiet' }), 1);
    }, 15_000);
    await nginx?.stop();
    nginx = undefined;
    const stopped = Date.now();
    await eventually(async () => {
      assert.equal(receiver.messages.filter((m) => m.body.event === 'index.stale').length, 1);
    }, 30_000);
    const arrivedAfterMs = Date.now() - stopped;
    const alert = receiver.messages.find((m) => m.body.event === 'index.stale')?.body;
    assert.equal(alert?.repo, 'quiet');
    assert.equal(alert?.state, 'degraded');
    assert.equal(alert?.code, 'BALLAST_UPSTREAM_UNREACHABLE');
    assert.match(String(alert?.message), /last confirmed by an upstream/);
    // staleFor, then at most one watch interval (1 s) and one failed revalidation (3 s).
    assert.ok(arrivedAfterMs < staleForMs + 1000 + 3000 + 4000, `after ${arrivedAfterMs} ms`);

    assert.equal(await metricValue(ballast.url, 'ballast_index_stale', { repo: 'quiet' }), 1);
    assert.ok(
      (await metricValue(ballast.url, 'ballast_index_age_seconds', { repo: 'quiet' })) >=
        staleForMs / 1000,
    );
    // Nobody was served the stale index: the watch found it.
    assert.equal(
      await metricValue(ballast.url, 'ballast_index_stale_served_total', { repo: 'quiet' }),
      0,
    );
    const status = JSON.parse((await httpRequest(`${ballast.url}/-/status`)).body.toString()) as {
      repos: Array<{ name: string; index: { stale: boolean } }>;
    };
    assert.equal(status.repos.find((r) => r.name === 'quiet')?.index.stale, true);

    // Reminders wait for alerts.repeat: still one message a few intervals later.
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(receiver.messages.filter((m) => m.body.event === 'index.stale').length, 1);
  });
});
