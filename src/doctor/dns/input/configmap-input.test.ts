import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DoctorError } from '../../doctor-errors.ts';
import { looksLikeKubernetesObject, readKubernetesObjects } from './configmap-input.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/corefiles/${name}`, import.meta.url), 'utf8');

describe('readKubernetesObjects', () => {
  it('takes the Corefile out of kubectl YAML and knows where it sits', () => {
    const text = fixture('kubeadm-configmap.yaml');
    const { corefiles } = readKubernetesObjects(text, 'cm.yaml');
    assert.equal(corefiles.length, 1);
    const [corefile] = corefiles;
    assert.equal(corefile?.configMap, 'kube-system/coredns');
    assert.equal(corefile?.located, true);
    // Line 1 of the Corefile is line 8 of the YAML, indented by 4.
    assert.deepEqual([corefile?.lineOffset, corefile?.columnOffset], [7, 4]);
    assert.equal(text.split('\n')[7]?.slice(4), corefile?.text.split('\n')[0]);
  });

  it('reads a List and several documents, keeping other keys as import files', () => {
    const list = readKubernetesObjects(fixture('k3s-coredns.yaml'), 'k3s.yaml');
    assert.equal(list.corefiles.length, 1);
    assert.deepEqual(list.dataFiles.map((f) => f.key).sort(), [
      'NodeHosts',
      'corp.server',
      'log.override',
    ]);
    const two = readKubernetesObjects(
      `${fixture('incident-nodelocal.yaml')}---\n${fixture('incident-coredns.yaml')}`,
      'both.yaml',
    );
    assert.deepEqual(
      two.corefiles.map((c) => c.configMap),
      ['kube-system/node-local-dns', 'kube-system/coredns'],
    );
    assert.ok(two.corefiles.every((c) => c.located));
  });

  it('falls back to Corefile lines when it cannot place the text (JSON)', () => {
    const json = JSON.stringify({
      kind: 'ConfigMap',
      metadata: { name: 'coredns' },
      data: { Corefile: '.:53 {\n  whoami\n}\n' },
    });
    assert.ok(looksLikeKubernetesObject(json));
    const [corefile] = readKubernetesObjects(json, 'cm.json').corefiles;
    assert.deepEqual([corefile?.located, corefile?.lineOffset], [false, 0]);
  });

  it('keeps the keys of a ConfigMap without a Corefile as import files', () => {
    const { corefiles, dataFiles } = readKubernetesObjects(
      fixture('no-corefile-configmap.yaml'),
      'cm.yaml',
    );
    assert.equal(corefiles.length, 0);
    assert.deepEqual(
      dataFiles.map((f) => [f.configMap, f.key, f.lineOffset, f.located]),
      [['kube-system/coredns', 'Corefil', 7, true]],
    );
  });

  it('reads each document on its own: a broken one without a Corefile is skipped, not fatal', () => {
    const stream = [
      'kind: ConfigMap',
      'metadata: {name: coredns, namespace: kube-system}',
      'data:',
      '  Corefile: |',
      '    .:53 {',
      '        whoami',
      '    }',
      '---',
      'kind: Deployment',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - image: registry.k8s.io/coredns/coredns:v1.9.3',
      '      volumes: []',
      '      volumes: []',
      '',
    ].join('\n');
    const objects = readKubernetesObjects(stream, 'all.yaml');
    assert.deepEqual(
      objects.corefiles.map((c) => [c.configMap, c.lineOffset, c.located]),
      [['kube-system/coredns', 4, true]],
    );
    assert.equal(objects.skipped.length, 1);
    assert.equal(objects.skipped[0]?.line, 9);
    assert.match(objects.skipped[0]?.problem ?? '', /duplicated mapping key/);
    // Read leniently, the way the API server keeps the last duplicate, for the image.
    assert.deepEqual(objects.images, ['registry.k8s.io/coredns/coredns:v1.9.3']);
  });

  it('fails clearly on a broken document that holds a Corefile, and on no ConfigMap at all', () => {
    const expectError = (text: string, message: RegExp) =>
      assert.throws(
        () => readKubernetesObjects(text, 'cm.yaml'),
        (error: unknown) =>
          error instanceof DoctorError &&
          error.code === 'BALLAST_DOCTOR_CONFIGMAP_INVALID' &&
          message.test(error.message),
      );
    expectError('kind: Deployment\nmetadata: {name: x}\n', /holds no ConfigMap/);
    expectError('kind: ConfigMap\ndata: [\n', /holds no ConfigMap/);
    expectError(
      'kind: ConfigMap\ndata:\n  Corefile: |\n    .:53 {}\n  Corefile: x\n',
      /not valid YAML: duplicated mapping key.*document from line 1/,
    );
  });

  it('tells Kubernetes objects from Corefiles', () => {
    assert.ok(looksLikeKubernetesObject(fixture('kubeadm-configmap.yaml')));
    assert.ok(!looksLikeKubernetesObject(fixture('kubeadm-default.Corefile')));
  });
});
