import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { json, runDoctor } from './support/doctor-cli.ts';
import { tempDir } from './support/temp-dir.ts';

// What real clusters ship and what their users post, each in a few lines written here: AKS's
// coredns-custom, NodeLocal DNSCache in iptables mode, kubespray's `cache 0`, old options and
// plugins against the CoreDNS release that loads them.

interface Report {
  exitCode: number;
  findings: Array<{
    rule: string;
    severity: string;
    message: string;
    position?: { file: string; line: number };
  }>;
  inputs: Array<{
    kind: string;
    configMap?: string;
    files?: string[];
    importedBy?: string[];
    imported?: string[];
  }>;
  coredns: { version: string; from: string };
  error?: { code: string; message: string; line?: number };
}

/** Writes the files into a fresh directory and runs `doctor dns --json` on them. */
async function doctor(
  t: TestContext,
  files: Record<string, string>,
  args: string[],
): Promise<Report & { code: number | null; dir: string }> {
  const dir = await tempDir('doctor-real', t);
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  const resolved = args.map((a) => (a in files ? join(dir, a) : a));
  const run = await runDoctor(['dns', ...resolved, '--json']);
  return { ...json<Report>(run), code: run.code, dir };
}

const rules = (report: Report) =>
  report.findings.map((f) => `${f.rule}:${f.position?.line ?? ''}`).sort();

/** AKS's CoreDNS ConfigMap: imports relative to /etc/coredns, where coredns-custom is mounted. */
const aksCoredns = `apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns
  namespace: kube-system
data:
  Corefile: |
    .:53 {
        errors
        kubernetes cluster.local in-addr.arpa ip6.arpa {
          fallthrough in-addr.arpa ip6.arpa
        }
        forward . /etc/resolv.conf
        cache 30
        loop
        import custom/*.override
    }
    import custom/*.server
`;

const customConfigMap = (data: string) => `---
apiVersion: v1
kind: ConfigMap
metadata:
  name: coredns-custom
  namespace: kube-system
data:
${data}`;

describe('ballast doctor dns on real cluster layouts', () => {
  it("reads AKS's coredns-custom through the Corefile's relative imports", async (t) => {
    const good = await doctor(
      t,
      {
        'cm.yaml': `${aksCoredns}${customConfigMap(`  corp.server: |
    corp.example:53 {
        cache 0
        forward . 10.1.0.53 10.1.0.54
    }
  log.override: |
    log
`)}`,
      },
      ['--corefile', 'cm.yaml'],
    );
    assert.equal(good.code, 1);
    // Line 28 of cm.yaml is `cache 0`, inside the coredns-custom key.
    assert.deepEqual(rules(good), ['forward-resolv-conf:13', 'plugin-value-refused:28']);
    assert.deepEqual(good.inputs.find((i) => i.kind === 'corefile')?.imported, [
      'kube-system/coredns-custom/log.override',
      'kube-system/coredns-custom/corp.server',
    ]);
    assert.deepEqual(good.inputs.find((i) => i.kind === 'import-files')?.importedBy, [
      'kube-system/coredns',
    ]);
  });

  it('stops on a coredns-custom value whose | is missing, as CoreDNS does', async (t) => {
    const folded = await doctor(
      t,
      {
        'cm.yaml': `${aksCoredns}${customConfigMap(`  corp.server:
    corp.example:53 {
        forward . 10.1.0.53
    }
`)}`,
      },
      ['--corefile', 'cm.yaml'],
    );
    assert.equal(folded.code, 2);
    assert.equal(folded.error?.code, 'BALLAST_DOCTOR_COREFILE_SYNTAX');
    assert.match(folded.error?.message ?? '', /key corp\.server.*unexpected '}'.*without `\|`/);
  });

  it('accepts coredns-custom given alone, says nobody imports it and checks its server blocks', async (t) => {
    const alone = await doctor(
      t,
      {
        'custom.yaml': customConfigMap(`  why.server: |
    why.local:53 {
        cache 30
        forward . 127.0.0.1:53
    }
`),
      },
      ['--corefile', 'custom.yaml'],
    );
    assert.equal(alone.code, 1);
    assert.deepEqual(rules(alone), [
      'forward-self-loop:11',
      'import-files-unused:8',
      'stub-single-server:11',
    ]);
    const together = await doctor(
      t,
      { 'custom.yaml': customConfigMap('  log.override: |\n    log\n'), 'cm.yaml': aksCoredns },
      ['--corefile', 'custom.yaml', '--corefile', 'cm.yaml'],
    );
    assert.equal(together.code, 0);
    assert.deepEqual(together.inputs.find((i) => i.kind === 'import-files')?.importedBy, [
      'kube-system/coredns',
    ]);
  });

  it('flags a rewrite into the cluster domain that the same block forwards out', async (t) => {
    const files = {
      Corefile: `example.com:53 {
    rewrite stop {
        name regex (.*)\\.example\\.com {1}.default.svc.cluster.local
        answer name (.*)\\.default\\.svc\\.cluster\\.local {1}.example.com
    }
    cache 30
    forward . /etc/resolv.conf
}
.:53 {
    kubernetes cluster.local
    forward . /etc/resolv.conf
    cache 30
    loop
}
`,
    };
    const run = await doctor(t, files, [
      '--corefile',
      'Corefile',
      '--cluster-dns',
      '10.0.0.10',
      '--trace',
      'test.example.com.',
    ]);
    assert.equal(run.code, 1);
    assert.ok(rules(run).includes('rewrite-cluster-name-leaves:2'), rules(run).join());
    const trace = (
      run as unknown as {
        traces: Array<{ queries: Array<{ hops: Array<{ name: string; outcome: string }> }> }>;
      }
    ).traces[0];
    assert.deepEqual(
      trace?.queries[0]?.hops.map((h) => [h.name, h.outcome]),
      [['test.default.svc.cluster.local.', 'forward']],
    );
  });

  it('judges options and plugins against the CoreDNS release', async (t) => {
    const files = {
      Corefile: `.:53 {
    kubernetes cluster.local {
        upstream
    }
    forward . https://9.9.9.9 dns.quad9.net
    cache 30
    loop
}
`,
    };
    const newest = await doctor(t, files, ['--corefile', 'Corefile']);
    assert.equal(newest.code, 1);
    assert.equal(newest.coredns.version, '1.14.7');
    assert.deepEqual(rules(newest), ['option-removed:3']);
    const old = await doctor(t, files, ['--corefile', 'Corefile', '--coredns-version', 'v1.6.9']);
    assert.deepEqual(rules(old), [
      'forward-target-invalid:5',
      'forward-target-invalid:5',
      'option-ignored:3',
    ]);
    assert.deepEqual(old.coredns, { version: '1.6.9', from: '--coredns-version' });
    const bad = await doctor(t, files, ['--corefile', 'Corefile', '--coredns-version', 'latest']);
    assert.equal(bad.code, 2);
    assert.equal(bad.error?.code, 'BALLAST_DOCTOR_USAGE');
  });

  it("reads the release from the Deployment's image, past a document with a repeated key", async (t) => {
    const manifest = `apiVersion: v1
kind: ConfigMap
metadata: {name: coredns, namespace: kube-system}
data:
  Corefile: |
    .:53 {
        errors
        kubernetes cluster.local
        forward . 8.8.8.8 8.8.4.4
        cache 30
        loop
        view internal {
          expr incidr(client_ip(), '10.0.0.0/8')
        }
    }
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: coredns, namespace: kube-system}
spec:
  template:
    spec:
      containers:
        - name: coredns
          image: coredns/coredns:1.5.0
      volumes:
        - name: config-volume
      volumes:
        - name: config-volume
`;
    const run = await doctor(t, { 'coredns.yaml': manifest }, ['--corefile', 'coredns.yaml']);
    assert.equal(run.code, 1);
    assert.deepEqual(run.coredns, { version: '1.5.0', from: 'image coredns/coredns:1.5.0' });
    assert.deepEqual(rules(run), ['input-document-skipped:17', 'plugin-too-new:12']);
  });

  it('takes NodeLocal DNSCache in iptables mode as designed, and IPVS mode forwarding elsewhere as a mismatch', async (t) => {
    const nodeLocal = (bind: string) => `cluster.local:53 {
    errors
    cache 30
    bind ${bind}
    forward . 10.96.100.7 {
        force_tcp
    }
}
`;
    const iptables = await doctor(t, { Corefile: nodeLocal('169.254.20.10 10.96.0.10') }, [
      '--corefile',
      'Corefile',
      '--cluster-dns',
      '10.96.0.10',
    ]);
    assert.equal(iptables.code, 0, rules(iptables).join());
    const ipvs = await doctor(t, { Corefile: nodeLocal('169.254.20.10') }, [
      '--corefile',
      'Corefile',
      '--cluster-dns',
      '10.96.0.10',
    ]);
    assert.equal(ipvs.code, 1);
    assert.deepEqual(rules(ipvs), ['nodelocal-upstream-mismatch:5']);
  });

  it('takes the two judgement calls: port 5353 and one-server stub zones are notes', async (t) => {
    const run = await doctor(
      t,
      {
        Corefile: `corp.example:5353 {
    forward . 10.2.0.53
    cache 30
}
.:5353 {
    kubernetes cluster.local
    forward . /etc/resolv.conf
    cache 30
}
`,
      },
      ['--corefile', 'Corefile'],
    );
    assert.equal(run.code, 0);
    assert.deepEqual(rules(run), ['forward-resolv-conf:7', 'stub-single-server:2']);
    assert.ok(run.findings.every((f) => f.severity === 'info'));
  });

  it('keeps a manifest of many broken documents to a few notes', async (t) => {
    const broken = 'kind: Deployment\nspec: {a: 1, a: 2}\n---\n'.repeat(2000);
    const run = await doctor(t, { 'many.yaml': `${aksCoredns}---\n${broken}` }, [
      '--corefile',
      'many.yaml',
    ]);
    assert.equal(run.code, 0);
    const skipped = run.findings.filter((f) => f.rule === 'input-document-skipped');
    assert.equal(skipped.length, 10);
    assert.match(skipped.at(-1)?.message ?? '', /and 1990 more such documents/);
  });
});
