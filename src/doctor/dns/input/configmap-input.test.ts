import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { DoctorError } from '../../doctor-errors.ts';
import { looksLikeKubernetesObject, readConfigMaps } from './configmap-input.ts';

const fixture = (name: string) =>
  readFileSync(new URL(`../../../../test/fixtures/corefiles/${name}`, import.meta.url), 'utf8');

describe('readConfigMaps', () => {
  it('takes the Corefile out of kubectl YAML and knows where it sits', () => {
    const text = fixture('kubeadm-configmap.yaml');
    const { corefiles } = readConfigMaps(text, 'cm.yaml');
    assert.equal(corefiles.length, 1);
    const [corefile] = corefiles;
    assert.equal(corefile?.configMap, 'kube-system/coredns');
    assert.equal(corefile?.located, true);
    // Line 1 of the Corefile is line 8 of the YAML, indented by 4.
    assert.deepEqual([corefile?.lineOffset, corefile?.columnOffset], [7, 4]);
    assert.equal(text.split('\n')[7]?.slice(4), corefile?.text.split('\n')[0]);
  });

  it('reads a List and several documents, keeping other keys as import files', () => {
    const list = readConfigMaps(fixture('k3s-coredns.yaml'), 'k3s.yaml');
    assert.equal(list.corefiles.length, 1);
    assert.deepEqual([...list.dataFiles.keys()].sort(), [
      'NodeHosts',
      'corp.server',
      'log.override',
    ]);
    const two = readConfigMaps(
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
    const [corefile] = readConfigMaps(json, 'cm.json').corefiles;
    assert.deepEqual([corefile?.located, corefile?.lineOffset], [false, 0]);
  });

  it('fails clearly on a ConfigMap without a Corefile, on non-ConfigMaps and on broken YAML', () => {
    const expectError = (text: string, message: RegExp) =>
      assert.throws(
        () => readConfigMaps(text, 'cm.yaml'),
        (error: unknown) =>
          error instanceof DoctorError &&
          error.code === 'BALLAST_DOCTOR_CONFIGMAP_INVALID' &&
          message.test(error.message),
      );
    expectError(
      fixture('no-corefile-configmap.yaml'),
      /no ConfigMap has a Corefile key.*kube-system\/coredns \(keys: Corefil\)/,
    );
    expectError('kind: Deployment\nmetadata: {name: x}\n', /holds no ConfigMap/);
    expectError('kind: ConfigMap\ndata: [\n', /not valid YAML/);
  });

  it('tells Kubernetes objects from Corefiles', () => {
    assert.ok(looksLikeKubernetesObject(fixture('kubeadm-configmap.yaml')));
    assert.ok(!looksLikeKubernetesObject(fixture('kubeadm-default.Corefile')));
  });
});
