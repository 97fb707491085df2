import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { launchChromium } from './support/chromium.ts';
import { eventually, httpRequest } from './support/http.ts';
import { type Nginx, startNginx } from './support/nginx.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

const digest = (n: number) => n.toString(16).padStart(64, '0');
const index = `apiVersion: v1
entries:
  ingress-nginx:
  - name: ingress-nginx
    version: 4.12.1
    appVersion: 1.12.1
    created: "2026-03-01T10:00:00Z"
    urls: [ingress-nginx-4.12.1.tgz]
    digest: ${digest(1)}
  - name: ingress-nginx
    version: 4.12.0
    appVersion: 1.12.0
    created: "2026-01-15T10:00:00Z"
    urls: [ingress-nginx-4.12.0.tgz]
    digest: ${digest(2)}
  cert-manager:
  - name: cert-manager
    version: 1.17.0
    appVersion: v1.17.0
    urls: [cert-manager-1.17.0.tgz]
    digest: ${digest(3)}
`;

/** The status page as a person sees it: Debian's Chromium, driven by playwright-core. */
describe('status page in Chromium', () => {
  let dir: string;
  let nginx: Nginx;
  let ballast: BallastProcess;
  let browser: Browser;

  before(async () => {
    dir = await tempDir('status-page');
    await mkdir(join(dir, 'www', 'stable'), { recursive: true });
    await writeFile(join(dir, 'www', 'stable', 'index.yaml'), index);
    nginx = await startNginx({ root: join(dir, 'www') });
    ballast = await startBallastProcess({
      repos: [
        { name: 'stable', upstreams: [{ url: `${nginx.url}/stable/` }] },
        // Like a deleted gh-pages branch: the index answers 404 (incident C).
        { name: 'gone', upstreams: [{ url: `${nginx.url}/gone/` }] },
      ],
      files: [{ name: 'helm', upstreams: [`${nginx.url}/files/`], probe: 'helm.tar.gz.sha256sum' }],
      probes: { interval: '1s' },
    });
    await eventually(async () => {
      const status = JSON.parse((await httpRequest(`${ballast.url}/-/status`)).body.toString());
      const states = [...status.repos, ...status.files].map((s) => s.upstreams[0].state);
      assert.deepEqual(states, ['healthy', 'down', 'down']);
    }, 15_000);
    browser = await launchChromium();
  });
  after(async () => {
    await browser?.close();
    await ballast?.stop();
    await nginx?.stop();
    await removeDir(dir);
  });

  const open = async (options: { javaScriptEnabled: boolean; bypassCSP?: boolean }) => {
    const context = await browser.newContext({
      ...options,
      viewport: { width: 390, height: 844 }, // a phone
    });
    const page = await context.newPage();
    await page.goto(`${ballast.url}/`);
    return page;
  };

  const searchAndOpen = async (page: Page) => {
    await page.getByLabel('Find a chart').fill('nginx');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: 'Charts matching “nginx”' }).waitFor();
    await page.getByRole('link', { name: 'ingress-nginx' }).click();
    await page.getByRole('heading', { name: 'ingress-nginx in stable' }).waitFor();
    // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the row as rendered
    const rows = await page.locator('tbody tr').first().innerText();
    assert.match(rows, /4\.12\.1\s+1\.12\.1\s+0{12}…\s+2026-03-01/);
    const commands = await page.locator('pre').allInnerTexts();
    assert.match(commands[0] ?? '', /^helm repo add stable http:\/\/127\.0\.0\.1:\d+\/stable\n/);
    assert.match(
      commands[1] ?? '',
      /^helm pull oci:\/\/127\.0\.0\.1:\d+\/stable\/ingress-nginx --version 4\.12\.1 --plain-http$/,
    );
  };

  it('shows every upstream with its state, failing stage and code, readable on a phone', async () => {
    const page = await open({ javaScriptEnabled: true });
    const items = await page.locator('article li').allInnerTexts();
    assert.equal(items.length, 3);
    assert.match(items[0] ?? '', /^healthy http:\/\/127\.0\.0\.1:\d+\/stable\//);
    assert.match(items[1] ?? '', /^down http:.*\/gone\/ — http: upstream-http-status .*404/);
    assert.match(items[2] ?? '', /^down .*\/files\/ — payload: upstream-file-missing/);
    // The 24 h strip draws the outage (its widths come from the stylesheet, not style attributes).
    const outage = await page.locator('.strip i.d').first().boundingBox();
    assert.ok(outage && outage.width > 0 && outage.height > 0, 'the down slot is drawn');
    assert.ok(
      await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth'),
      'nothing wider than the phone screen',
    );
    const size = (await httpRequest(`${ballast.url}/`)).body.length;
    assert.ok(size < 100 * 1024, `${size} bytes`);
    if (process.env.STATUS_PAGE_SCREENSHOT) {
      await page.setViewportSize({ width: 900, height: 900 });
      await page.goto(`${ballast.url}/?repo=stable&chart=ingress-nginx`);
      await page.screenshot({ path: process.env.STATUS_PAGE_SCREENSHOT, fullPage: true });
    }
    await page.context().close();
  });

  it('finds a chart and shows its versions and commands, with and without JavaScript', async () => {
    for (const javaScriptEnabled of [true, false]) {
      const page = await open({ javaScriptEnabled });
      await searchAndOpen(page);
      await page.context().close();
    }
  });

  it('has no serious or critical accessibility violations (axe-core)', async () => {
    const axeSource = await readFile(
      createRequire(import.meta.url).resolve('axe-core/axe.min.js'),
      'utf8',
    );
    // The page's CSP forbids scripts, as it should: axe is let in only for this check.
    const page = await open({ javaScriptEnabled: true, bypassCSP: true });
    for (const path of ['/', '/?q=nginx', '/?repo=stable&chart=ingress-nginx']) {
      await page.goto(`${ballast.url}${path}`);
      await page.addScriptTag({ content: axeSource });
      // A string, evaluated in the page: this project compiles without the DOM's types.
      const violations = (await page.evaluate(
        'axe.run().then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact })))',
      )) as Array<{ id: string; impact: string }>;
      assert.deepEqual(
        violations.filter((v) => v.impact === 'serious' || v.impact === 'critical'),
        [],
        path,
      );
    }
    await page.context().close();
  });
});
