import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createFileImportSource, type PodFile, podPathPrefix } from './corefile-import.ts';
import { parseCorefile } from './corefile-parser.ts';

const podFile = (configMap: string, name: string, text: string): [string, PodFile] => [
  `${podPathPrefix}${configMap}/${name}`,
  { name, text, label: `cm.yaml (ConfigMap ${configMap}, key ${name})` },
];

describe('imports', () => {
  const podFiles = new Map([
    podFile('kube-system/coredns-custom', 'b.server', 'b.example:53 {\n  whoami\n}\n'),
    podFile('kube-system/coredns-custom', 'a.server', 'a.example:53 {\n  whoami\n}\n'),
    podFile('kube-system/coredns-custom', 'log.override', 'log\n'),
  ]);

  it("resolve a ConfigMap Corefile's imports in the pod, by file name, relative or absolute", () => {
    const source = createFileImportSource({ podFiles });
    const corefile = `${podPathPrefix}kube-system/coredns/Corefile`;
    assert.deepEqual(source.resolve('custom/*.server', corefile), [
      `${podPathPrefix}kube-system/coredns-custom/a.server`,
      `${podPathPrefix}kube-system/coredns-custom/b.server`,
    ]);
    assert.deepEqual(source.resolve('/etc/coredns/custom/*.override', corefile), [
      `${podPathPrefix}kube-system/coredns-custom/log.override`,
    ]);
    assert.deepEqual(source.resolve('custom/*.nothing', corefile), []);
    const parsed = parseCorefile(
      '.:53 {\n  import custom/*.override\n}\nimport custom/*.server\n',
      {
        label: 'cm.yaml',
        path: corefile,
        imports: source,
      },
    );
    assert.deepEqual(
      parsed.blocks.map((b) => b.keys[0]?.text),
      ['.:53', 'a.example:53', 'b.example:53'],
    );
    assert.equal(parsed.blocks[0]?.directives[0]?.name, 'log');
    assert.deepEqual(parsed.imported, [
      'kube-system/coredns-custom/log.override',
      'kube-system/coredns-custom/a.server',
      'kube-system/coredns-custom/b.server',
    ]);
  });

  it('look on disk first for a Corefile on disk, then among the ConfigMap keys', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'ballast-doctor-import-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await mkdir(join(dir, 'custom'));
    await writeFile(join(dir, 'custom', 'local.server'), 'local.example {\n  whoami\n}\n');
    const source = createFileImportSource({ podFiles, cwd: dir });
    const corefile = join(dir, 'Corefile');
    assert.deepEqual(source.resolve('custom/*.server', corefile), [
      join(dir, 'custom', 'local.server'),
    ]);
    assert.deepEqual(source.resolve('custom/*.override', corefile), [
      `${podPathPrefix}kube-system/coredns-custom/log.override`,
    ]);
    assert.equal(
      source.labelOf?.(join(dir, 'custom', 'local.server')),
      join('custom', 'local.server'),
    );
  });
});
