// biome-ignore-all lint/suspicious/noExplicitAny: rendered Kubernetes objects, checked field by field
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import yaml from 'js-yaml';
import { startBallastProcess } from './support/ballast.ts';
import { runBallastCli } from './support/ballast-cli.ts';
import { createHelm, type HelmClient, HelmError, helmMajors } from './support/helm.ts';
import { withFreePort } from './support/ports.ts';
import { startProcess } from './support/processes.ts';
import { removeDir, tempDir } from './support/temp-dir.ts';

// The chart in deploy/helm/ballast, linted and rendered by real Helm 3 and 4; the rendered
// objects are checked for what running Ballast well on Kubernetes needs.

const chart = fileURLToPath(new URL('../deploy/helm/ballast', import.meta.url));

interface K8sObject {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, any>;
  data?: Record<string, string>;
}

for (const major of helmMajors) {
  describe(`the Ballast chart with Helm ${major}`, () => {
    let helm: HelmClient;
    let work: string;

    before(async () => {
      helm = await createHelm(major);
      work = await tempDir(`chart-${major}`);
    });
    after(async () => {
      await helm?.dispose();
      if (work) await removeDir(work);
    });

    async function render(values: Record<string, unknown> = {}): Promise<K8sObject[]> {
      const file = join(work, `values-${Math.random().toString(36).slice(2)}.yaml`);
      await writeFile(file, yaml.dump(values));
      const { stdout } = await helm.run([
        'template',
        'mirror',
        chart,
        '--namespace',
        'infra',
        '-f',
        file,
      ]);
      return (yaml.loadAll(stdout) as (K8sObject | null)[]).filter(
        (o): o is K8sObject => o !== null,
      );
    }
    const find = (objects: K8sObject[], kind: string) => objects.filter((o) => o.kind === kind);
    const deployment = (objects: K8sObject[]) => {
      const [found] = find(objects, 'Deployment');
      assert.ok(found, 'a Deployment');
      return found.spec as Record<string, any>;
    };

    test('helm lint --strict passes', async () => {
      const { stdout } = await helm.run(['lint', '--strict', chart]);
      assert.match(stdout, /1 chart\(s\) linted, 0 chart\(s\) failed/);
      assert.doesNotMatch(stdout, /\[(WARNING|ERROR)\]/);
    });

    test('defaults: one replica on a volume, probes, a locked-down pod, a config Ballast accepts', async () => {
      const objects = await render();
      const spec = deployment(objects);
      assert.equal(spec.replicas, 1);
      assert.equal(spec.strategy.type, 'Recreate');
      const pod = spec.template.spec;
      const [container] = pod.containers;
      assert.equal(container.readinessProbe.httpGet.path, '/-/readyz');
      assert.equal(container.livenessProbe.httpGet.path, '/-/healthz');
      assert.deepEqual(pod.securityContext.seccompProfile, { type: 'RuntimeDefault' });
      assert.equal(pod.securityContext.runAsNonRoot, true);
      assert.equal(pod.securityContext.runAsUser, 65532);
      assert.equal(container.securityContext.readOnlyRootFilesystem, true);
      assert.equal(container.securityContext.allowPrivilegeEscalation, false);
      assert.deepEqual(container.securityContext.capabilities.drop, ['ALL']);
      assert.ok(container.resources.requests.memory && container.resources.limits.memory);
      const mounts = Object.fromEntries(
        container.volumeMounts.map((m: any) => [m.mountPath, m.name]),
      );
      assert.deepEqual(mounts, {
        '/etc/ballast': 'config',
        '/tmp': 'tmp',
        '/var/lib/ballast': 'data',
      });
      const data = pod.volumes.find((v: any) => v.name === 'data');
      assert.equal(
        data.persistentVolumeClaim.claimName,
        find(objects, 'PersistentVolumeClaim')[0]?.metadata.name,
      );
      assert.equal(find(objects, 'PodDisruptionBudget').length, 0, 'no budget for one pod');
      assert.deepEqual(
        pod.topologySpreadConstraints.map((c: any) => c.topologyKey),
        ['kubernetes.io/hostname', 'topology.kubernetes.io/zone'],
      );
      assert.deepEqual(
        pod.topologySpreadConstraints[0].labelSelector.matchLabels,
        spec.selector.matchLabels,
      );

      const config = find(objects, 'ConfigMap')[0]?.data?.['ballast.yaml'] ?? '';
      const file = join(work, 'rendered.yaml');
      await writeFile(file, config);
      const check = await runBallastCli(['config', 'check', file]);
      assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);
      assert.deepEqual(yaml.load(config), {
        files: [],
        listen: '0.0.0.0:8080',
        log: { level: 'info' },
        repos: [],
        storage: { fs: { path: '/var/lib/ballast' } },
      });
    });

    test('S3 and 3 replicas: rolling updates, a disruption budget, credentials from a Secret, no volume', async () => {
      // Every key of storage.s3, passed through to a config Ballast accepts.
      const s3 = {
        bucket: 'charts',
        prefix: 'prod/',
        endpoint: 'https://minio.example.com',
        region: 'eu-west-1',
        forcePathStyle: true,
        cache: { dir: '/tmp/s3-cache', maxSize: '512MiB' },
      };
      const objects = await render({
        replicaCount: 3,
        config: { storage: { s3 } },
        s3: { existingSecret: 'ballast-s3' },
      });
      const spec = deployment(objects);
      assert.equal(spec.replicas, 3);
      assert.deepEqual(spec.strategy, {
        type: 'RollingUpdate',
        rollingUpdate: { maxUnavailable: 0, maxSurge: 1 },
      });
      const [pdb] = find(objects, 'PodDisruptionBudget');
      assert.equal(pdb?.spec?.maxUnavailable, 1);
      assert.deepEqual(pdb?.spec?.selector.matchLabels, spec.selector.matchLabels);
      assert.equal(find(objects, 'PersistentVolumeClaim').length, 0);
      const [container] = spec.template.spec.containers;
      assert.ok(!container.volumeMounts.some((m: any) => m.mountPath === '/var/lib/ballast'));
      const env = Object.fromEntries(
        container.env.map((e: any) => [e.name, e.valueFrom.secretKeyRef]),
      );
      assert.deepEqual(env.AWS_SECRET_ACCESS_KEY, {
        name: 'ballast-s3',
        key: 'AWS_SECRET_ACCESS_KEY',
      });
      const rendered = find(objects, 'ConfigMap')[0]?.data?.['ballast.yaml'] ?? '';
      const config = yaml.load(rendered) as any;
      assert.deepEqual(config.storage, { s3 });
      const file = join(work, 'rendered-s3.yaml');
      await writeFile(file, rendered);
      const check = await runBallastCli(['config', 'check', file]);
      assert.equal(check.code, 0, `${check.stdout}${check.stderr}`);

      const byDefault = deployment(
        await render({ config: { storage: { s3: { bucket: 'charts' } } } }),
      );
      assert.equal(byDefault.replicas, 2, 'two replicas by default with S3');
    });

    test('ingress and monitoring: an Ingress, a ServiceMonitor, the alert rules, and the helm repo add line', async () => {
      const values = {
        config: { repos: [{ name: 'stable', upstreams: [{ url: 'https://charts.example.com' }] }] },
        ingress: {
          enabled: true,
          className: 'nginx',
          hosts: [{ host: 'charts.internal', paths: [{ path: '/', pathType: 'Prefix' }] }],
          tls: [{ secretName: 'charts-tls', hosts: ['charts.internal'] }],
        },
        metrics: { serviceMonitor: { enabled: true }, prometheusRule: { enabled: true } },
      };
      const objects = await render(values);
      const [ingress] = find(objects, 'Ingress');
      const rule = ingress?.spec?.rules[0];
      assert.equal(rule.host, 'charts.internal');
      assert.deepEqual(rule.http.paths[0].backend.service, {
        name: 'mirror-ballast',
        port: { name: 'http' },
      });
      const [monitor] = find(objects, 'ServiceMonitor');
      assert.deepEqual(monitor?.spec?.endpoints[0], {
        port: 'http',
        path: '/metrics',
        interval: '30s',
        scrapeTimeout: '10s',
      });
      const [rules] = find(objects, 'PrometheusRule');
      const shipped = yaml.load(
        await readFile(join(chart, 'files/ballast-rules.yaml'), 'utf8'),
      ) as any;
      assert.deepEqual(rules?.spec?.groups, shipped.groups);
      // The one rule file promtool checks (test/prometheus-rules.test.ts) is the one the chart ships.
      assert.deepEqual(
        rules?.spec?.groups.flatMap((g: any) => g.rules.map((r: any) => r.alert)),
        [
          'BallastUpstreamDown',
          'BallastAllUpstreamsDown',
          'BallastUpstreamDegraded',
          'BallastUpstreamCertificateExpiring',
          'BallastIndexGuardRefused',
          'BallastIndexStale',
          'BallastAlertDeliveryFailing',
        ],
      );
      assert.match(
        JSON.stringify(rules?.spec),
        /\{\{ \$labels\.repo \}\}/,
        'alert templates left for Prometheus',
      );

      // NOTES.txt is rendered by install only; Helm 3.17 asks a cluster even for --dry-run=client.
      if (major === 3) return;
      const file = join(work, 'ingress.yaml');
      await writeFile(file, yaml.dump(values));
      const { stdout } = await helm.run([
        'install',
        'mirror',
        chart,
        '--dry-run=client',
        '-f',
        file,
      ]);
      assert.match(stdout, /helm repo add stable https:\/\/charts\.internal\/stable/);
    });

    test('invalid values are refused before anything is rendered', async () => {
      const refused = async (values: Record<string, unknown>, reason: RegExp) => {
        const error = await render(values).then(
          () => assert.fail(`accepted ${JSON.stringify(values)}`),
          (e: unknown) => e,
        );
        assert.ok(error instanceof HelmError);
        assert.match(error.stderr, reason);
      };
      await refused({ replicaCount: 0 }, /replicaCount/);
      await refused({ replicaCount: 'three' }, /replicaCount/);
      await refused({ image: { pullPolicy: 'Sometimes' } }, /pullPolicy/);
      await refused({ image: { digest: 'latest' } }, /digest/);
      await refused({ replicas: 2 }, /replicas/);
      await refused({ service: { port: 70000 } }, /port/);
      await refused({ config: { listen: ':9000' } }, /listen/);
      await refused({ ingress: { enabled: true, hosts: [{ host: 'a.example' }] } }, /paths/);
      await refused({ config: { storage: { s3: { region: 'x' } } } }, /bucket/);
      await refused({ replicaCount: 2 }, /more than one replica needs config\.storage\.s3/);
    });
  });
}

test('the chart README lists every value', async () => {
  const values = yaml.load(await readFile(join(chart, 'values.yaml'), 'utf8')) as Record<
    string,
    unknown
  >;
  // Maps handed to Kubernetes or Ballast whole are documented as one value.
  const whole = new Set([
    'config',
    'resources',
    'podSecurityContext',
    'securityContext',
    'probes.readiness',
    'probes.liveness',
  ]);
  const paths = (object: Record<string, unknown>, prefix = ''): string[] =>
    Object.entries(object).flatMap(([key, value]) => {
      const path = `${prefix}${key}`;
      const isMap = value !== null && typeof value === 'object' && !Array.isArray(value);
      return isMap && !whole.has(path) && Object.keys(value).length > 0
        ? paths(value as Record<string, unknown>, `${path}.`)
        : [path];
    });
  const readme = await readFile(join(chart, 'README.md'), 'utf8');
  const listed = new Set([...readme.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]));
  assert.deepEqual(
    paths(values).filter((p) => !listed.has(p)),
    [],
  );
  assert.deepEqual(
    [...listed].filter((p) => !paths(values).includes(p as string)),
    [],
  );
});

describe('dogfooding: the quick start serves the Ballast chart', () => {
  test('examples/demo-repo holds the chart as it is, and Helm 3 and 4 install it through Ballast', async (t) => {
    const work = await tempDir('chart-dogfood', t);
    const upstream = await withFreePort((port) =>
      startProcess(
        process.execPath,
        [fileURLToPath(new URL('../examples/demo-upstream.ts', import.meta.url)), String(port)],
        {
          name: 'demo-upstream',
          ready: async (output) => output.includes(`:${port}/`),
        },
      ).then((process) => ({ process, url: `http://127.0.0.1:${port}` })),
    );
    t.after(() => upstream.process.stop());
    await using ballast = await startBallastProcess({
      repos: [{ name: 'demo', upstreams: [{ url: upstream.url }] }],
    });
    for (const major of helmMajors) {
      await using helm = await createHelm(major);
      await helm.run(['repo', 'add', 'demo', `${ballast.url}/demo`]);
      const { stdout } = await helm.run(['search', 'repo', 'demo/ballast', '-o', 'json']);
      const [found] = JSON.parse(stdout) as { name: string; version: string }[];
      assert.equal(
        found?.version,
        (yaml.load(await readFile(join(chart, 'Chart.yaml'), 'utf8')) as { version: string })
          .version,
      );
      const dir = join(work, `helm${major}`);
      await helm.run(['pull', 'demo/ballast', '--untar', '--untardir', dir]);
      const rendered = await helm.run(['template', 'mirror', join(dir, 'ballast')]);
      assert.match(rendered.stdout, /kind: Deployment/);
      assert.deepEqual(
        await chartFiles(join(dir, 'ballast')),
        await chartFiles(chart),
        'repackage the chart into examples/demo-repo',
      );
    }
  });
});

/**
 * Every file of a chart folder by relative path: its bytes' hash, or for Chart.yaml (which
 * `helm package` writes anew) its content.
 */
async function chartFiles(dir: string): Promise<Record<string, unknown>> {
  const files: Record<string, unknown> = {};
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = join(entry.parentPath, entry.name);
    const bytes = await readFile(file);
    files[relative(dir, file)] =
      entry.name === 'Chart.yaml'
        ? yaml.load(bytes.toString('utf8'))
        : createHash('sha256').update(bytes).digest('hex');
  }
  return files;
}
