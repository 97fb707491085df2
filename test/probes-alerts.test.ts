import assert from 'node:assert/strict';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { type Dnsmasq, startDnsmasq } from './support/dnsmasq.ts';
import { eventually, httpRequest, metricValue } from './support/http.ts';
import { type Nginx, startNginx } from './support/nginx.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';
import { makeCertificates } from './support/test-certificates.ts';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver.ts';

const intervalMs = 1000;

interface Status {
  repos: Array<{
    name: string;
    upstreams: Array<Record<string, unknown> & { history: unknown[] }>;
  }>;
}
const statusOf = async (url: string) =>
  JSON.parse((await httpRequest(`${url}/-/status`)).body.toString()) as Status;
const pick = (value: Record<string, unknown> | undefined, keys: string[]) =>
  Object.fromEntries(keys.map((key) => [key, value?.[key]]));
const index = (chart: string) =>
  `apiVersion: v1\nentries:\n  ${chart}:\n  - name: ${chart}\n    version: 1.0.0\n    urls: [${chart}-1.0.0.tgz]\n    digest: ${'a'.repeat(64)}\n`;

/**
 * The incidents probes exist for, with real peers on loopback: a host name dnsmasq stops
 * resolving (A), an index.yaml that nginx answers 404 for (C), and a certificate made with
 * openssl that expires in 3 days.
 */
describe('probes and alerts', () => {
  let dir: string;
  let dns: Dnsmasq;
  let nginx: Nginx;
  let tls: Server;
  let receiver: WebhookReceiver;
  let ballast: BallastProcess;
  let tlsUrl: string;
  let certificates: ReturnType<typeof makeCertificates>;
  let config: Record<string, unknown>;
  let env: NodeJS.ProcessEnv;

  before(async () => {
    dir = await tempDir('probes');
    certificates = makeCertificates(dir);
    for (const repo of ['a', 'c']) {
      await mkdir(join(dir, 'www', repo), { recursive: true });
      await writeFile(join(dir, 'www', repo, 'index.yaml'), index(`chart-${repo}`));
    }
    nginx = await startNginx({ root: join(dir, 'www') });
    dns = await startDnsmasq({ hosts: { 'charts.test': '127.0.0.1' }, localZones: ['test'] });
    tls = createServer(certificates.expiring, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/x-yaml' });
      res.end(index('chart-t'));
    });
    await new Promise<void>((resolve) => tls.listen(0, '127.0.0.1', resolve));
    tlsUrl = `https://127.0.0.1:${(tls.address() as AddressInfo).port}/`;
    receiver = await startWebhookReceiver();
    env = { WEBHOOK_TOKEN: 'Bearer s3cret', NODE_EXTRA_CA_CERTS: certificates.ca };
    config = {
      resolver: { servers: [dns.address] },
      repos: [
        { name: 'incident-a', upstreams: [{ url: `http://charts.test:${nginx.port}/a/` }] },
        { name: 'incident-c', upstreams: [{ url: `${nginx.url}/c/` }] },
        { name: 'expiring', upstreams: [{ url: tlsUrl }] },
      ],
      probes: { interval: `${intervalMs}ms` },
      alerts: {
        webhooks: [
          {
            url: `${receiver.url}/json`,
            headers: { Authorization: { env: 'WEBHOOK_TOKEN' } },
          },
          { url: `${receiver.url}/slack`, format: 'slack' },
        ],
      },
    };
    ballast = await startBallastProcess(config, { env });
  });
  after(async () => {
    await ballast?.stop();
    await receiver?.stop();
    await new Promise((resolve) => tls?.close(resolve));
    await dns?.stop();
    await nginx?.stop();
    await removeDir(dir);
  });

  const json = (repo: string) =>
    receiver.messages.filter((m) => m.path === '/json' && m.body.repo === repo).map((m) => m.body);

  it('announces a certificate that expires in 3 days once, with the stage and code', async () => {
    await eventually(async () => assert.equal(json('expiring').length, 1), 15_000);
    const [alert] = json('expiring');
    assert.equal(alert?.event, 'certificate.expiring');
    assert.equal(alert?.state, 'degraded');
    assert.equal(alert?.previous, 'healthy');
    assert.equal(alert?.stage, 'tls');
    assert.equal(alert?.code, 'upstream-tls-expiring');
    assert.equal(alert?.upstream, tlsUrl);
    const expiry = await metricValue(
      ballast.url,
      'ballast_upstream_certificate_expiry_timestamp_seconds',
      { name: 'expiring' },
    );
    const daysLeft = (expiry * 1000 - Date.now()) / 86_400_000;
    assert.ok(daysLeft > 2 && daysLeft <= 3, `${daysLeft} days`);
    assert.equal(
      receiver.messages.find((m) => m.path === '/json')?.headers.authorization,
      'Bearer s3cret',
    );
  });

  it('turns A and C down within two probe intervals, once each, then resolved once', async () => {
    await eventually(async () => {
      assert.equal(
        await metricValue(ballast.url, 'ballast_upstream_up', { name: 'incident-a' }),
        1,
      );
      assert.equal(
        await metricValue(ballast.url, 'ballast_upstream_up', { name: 'incident-c' }),
        1,
      );
    }, 15_000);
    const broken = Date.now();
    await dns.setHosts({});
    await rm(join(dir, 'www', 'c', 'index.yaml'));
    await eventually(async () => {
      assert.equal(json('incident-a').length, 1);
      assert.equal(json('incident-c').length, 1);
    }, 15_000);
    const [a] = json('incident-a');
    const [c] = json('incident-c');
    assert.deepEqual(
      [a?.event, a?.state, a?.previous, a?.stage, a?.code],
      ['upstream.down', 'down', 'healthy', 'dns', 'upstream-dns-failed'],
    );
    assert.deepEqual(
      [c?.event, c?.state, c?.stage, c?.code],
      ['upstream.down', 'down', 'http', 'upstream-http-status'],
    );
    assert.match(String(c?.message), /404/);
    for (const alert of [a, c]) {
      const since = Date.parse(String(alert?.since));
      // Two probes must agree, and a probe comes every interval ±10%, stages included.
      assert.ok(since - broken <= 2.2 * intervalMs + 1000, `down after ${since - broken} ms`);
    }
    assert.equal(await metricValue(ballast.url, 'ballast_upstream_up', { name: 'incident-a' }), 0);
    const status = await statusOf(ballast.url);
    const upstreamOf = (repo: string) => status.repos.find((r) => r.name === repo)?.upstreams[0];
    assert.deepEqual(pick(upstreamOf('incident-a'), ['url', 'state', 'stage', 'code', 'since']), {
      url: `http://charts.test:${nginx.port}/a/`,
      state: 'down',
      stage: 'dns',
      code: 'upstream-dns-failed',
      since: a?.since,
    });
    assert.deepEqual(pick(upstreamOf('incident-c'), ['state', 'stage', 'code']), {
      state: 'down',
      stage: 'http',
      code: 'upstream-http-status',
    });
    assert.equal(upstreamOf('expiring')?.state, 'degraded');
    const page = (await httpRequest(`${ballast.url}/`)).body.toString();
    assert.match(page, /<span class="state down">down<\/span> http:\/\/charts\.test/);
    assert.match(page, /upstream-http-status/);

    await dns.setHosts({ 'charts.test': '127.0.0.1' });
    await writeFile(join(dir, 'www', 'c', 'index.yaml'), index('chart-c'));
    await eventually(async () => {
      assert.equal(json('incident-a').length, 2);
      assert.equal(json('incident-c').length, 2);
    }, 15_000);
    // A few more intervals of healthy probes: still exactly one message per change.
    await new Promise((resolve) => setTimeout(resolve, 3 * intervalMs));
    for (const repo of ['incident-a', 'incident-c']) {
      assert.deepEqual(
        json(repo).map((m) => [m.event, m.state, m.previous]),
        [
          ['upstream.down', 'down', 'healthy'],
          ['upstream.resolved', 'healthy', 'down'],
        ],
      );
    }
    assert.equal(json('expiring').length, 1);
  });

  it('keeps state and history across a restart', async () => {
    const { dataDir } = ballast;
    await ballast.stop();
    ballast = await startBallastProcess(config, { dataDir, env });
    const upstream = (await statusOf(ballast.url)).repos.find((r) => r.name === 'incident-a')
      ?.upstreams[0];
    assert.equal(upstream?.state, 'healthy');
    assert.ok(upstream?.history.includes('down'), 'the outage is still in the 24 h history');
    assert.ok(upstream?.probedAt !== null);
  });

  it('sends the same alerts to Slack as incoming-webhook messages', async () => {
    const json = receiver.messages.filter((m) => m.path === '/json');
    const slack = receiver.messages.filter((m) => m.path === '/slack');
    assert.equal(slack.length, json.length);
    for (const { body } of slack) {
      // https://api.slack.com/messaging/webhooks: `text`, and optional `blocks` of layout blocks.
      assert.equal(typeof body.text, 'string');
      assert.ok(String(body.text).length > 0);
      const blocks = body.blocks as Array<Record<string, unknown>>;
      assert.ok(Array.isArray(blocks));
      for (const block of blocks) assert.ok(['section', 'context'].includes(String(block.type)));
      const section = blocks[0] as { text: { type: string; text: string } };
      assert.equal(section.text.type, 'mrkdwn');
    }
    assert.ok(slack.some((m) => /incident-a.* is down/.test(String(m.body.text))));
  });
});
