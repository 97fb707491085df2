import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { eventually, httpRequest, metricValue } from './support/http.ts';
import { pushTestChart, type Registry, startRegistry } from './support/registry.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const intervalMs = 1000;

interface UpstreamView {
  url: string;
  state: string;
  stage: string | null;
  code: string | null;
}

/** The probe of an `oci://` upstream (its tag list), end to end with the reference registry. */
describe('probes of an OCI upstream', () => {
  let registry: Registry;
  let receiver: WebhookReceiver;
  let ballast: BallastProcess;
  let upstream: string;

  before(async () => {
    registry = await startRegistry();
    await pushTestChart(registry, 'charts/demo', '1.0.0');
    receiver = await startWebhookReceiver();
    upstream = `oci://${registry.host}/charts`;
    ballast = await startBallastProcess({
      repos: [{ name: 'oci', upstreams: [{ url: upstream, plainHttp: true }], charts: ['demo'] }],
      probes: { interval: `${intervalMs}ms` },
      alerts: { webhooks: [{ url: `${receiver.url}/json` }] },
    });
  });
  after(async () => {
    await ballast?.stop();
    await receiver?.stop();
    await registry?.stop();
  });

  const alerts = () => receiver.messages.filter((m) => m.body.repo === 'oci').map((m) => m.body);
  const up = () => metricValue(ballast.url, 'ballast_upstream_up', { name: 'oci' });
  const probesSeen = (observed: string) =>
    metricValue(ballast.url, 'ballast_probes_total', { name: 'oci', observed });
  const upstreamView = async () => {
    const status = JSON.parse((await httpRequest(`${ballast.url}/-/status`)).body.toString()) as {
      repos: Array<{ name: string; upstreams: UpstreamView[] }>;
    };
    return status.repos.find((r) => r.name === 'oci')?.upstreams[0];
  };

  it('turns down when the registry stops, and healthy again when it is back', async () => {
    await eventually(async () => {
      assert.ok((await probesSeen('healthy')) >= 1);
      assert.equal(await up(), 1);
    }, 15_000);
    assert.equal((await upstreamView())?.state, 'healthy');

    await registry.pause();
    const stopped = Date.now();
    await eventually(async () => assert.equal(alerts().length, 1), 15_000);
    const [down] = alerts();
    assert.equal(down?.event, 'upstream.down');
    assert.equal(down?.upstream, upstream);
    assert.equal(down?.previous, 'healthy');
    assert.equal(down?.stage, 'tcp');
    assert.match(String(down?.code), /^upstream-tcp-/);
    const since = Date.parse(String(down?.since));
    // Two probes must agree, a probe comes every interval ±10%, plus the stages themselves.
    assert.ok(since - stopped <= 2.2 * intervalMs + 1000, `down after ${since - stopped} ms`);

    assert.equal(await up(), 0);
    assert.ok((await probesSeen('down')) >= 2);
    const view = await upstreamView();
    assert.deepEqual(
      { url: view?.url, state: view?.state, stage: view?.stage, code: view?.code },
      { url: upstream, state: 'down', stage: 'tcp', code: down?.code },
    );
    const page = (await httpRequest(`${ballast.url}/`)).body.toString();
    assert.ok(
      page.includes(`<span class="state down">down</span> ${upstream}`),
      'the page shows the upstream down',
    );

    await registry.resume();
    const resumed = Date.now();
    await eventually(async () => assert.equal(alerts().length, 2), 15_000);
    const resolved = alerts()[1];
    assert.deepEqual(
      [resolved?.event, resolved?.state, resolved?.previous],
      ['upstream.resolved', 'healthy', 'down'],
    );
    const back = Date.parse(String(resolved?.since));
    assert.ok(back - resumed <= 2.2 * intervalMs + 1000, `healthy after ${back - resumed} ms`);
    assert.equal(await up(), 1);
    assert.equal((await upstreamView())?.state, 'healthy');
  });

  it('answers a poller that holds the current rendering with 304', async () => {
    for (const path of ['/', '/-/status']) {
      // The rendering is made again each second: a 304 comes once two requests share one.
      await eventually(async () => {
        const first = await httpRequest(`${ballast.url}${path}`);
        assert.equal(first.status, 200);
        assert.equal(first.headers['cache-control'], 'no-cache');
        const etag = first.headers.etag ?? '';
        assert.match(etag, /^"[\w-]+"$/);
        const again = await httpRequest(`${ballast.url}${path}`, {
          headers: { 'if-none-match': etag },
        });
        assert.equal(again.status, 304);
        assert.equal(again.body.length, 0);
      }, 10_000);
    }
  });
});
