import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  newestKnownVersion,
  parseCorednsVersion,
  pluginStatus,
  versionFromImage,
} from './coredns-versions.ts';

describe('CoreDNS releases', () => {
  it('reads release numbers as people and image tags write them', () => {
    assert.equal(parseCorednsVersion('1.11'), '1.11.0');
    assert.equal(parseCorednsVersion('v1.11.3'), '1.11.3');
    assert.equal(parseCorednsVersion('1.9.4-hotfix.20230808'), '1.9.4');
    for (const bad of ['latest', '', '1', 'v1.x', '1.2.3.4', '../1.2.3']) {
      assert.equal(parseCorednsVersion(bad), undefined, bad);
    }
  });

  it('finds the release in CoreDNS images only', () => {
    assert.equal(versionFromImage('registry.k8s.io/coredns/coredns:v1.11.3'), '1.11.3');
    assert.equal(versionFromImage('rancher/mirrored-coredns-coredns:1.12.0'), '1.12.0');
    assert.equal(versionFromImage('rancher/hardened-coredns:v1.14.7-build20260819'), '1.14.7');
    assert.equal(versionFromImage('coredns/coredns:1.5.0@sha256:abc'), '1.5.0');
    assert.equal(versionFromImage('registry.k8s.io/dns/k8s-dns-node-cache:1.23.1'), undefined);
    assert.equal(versionFromImage('coredns/coredns@sha256:abc'), undefined);
    assert.equal(versionFromImage('localhost:5000/coredns'), undefined);
  });

  it('knows when each plugin came and went', () => {
    assert.equal(pluginStatus('proxy', '1.4.0').kind, 'shipped');
    assert.equal(pluginStatus('proxy', '1.5.0').kind, 'removed');
    assert.equal(pluginStatus('federation', '1.6.9').kind, 'shipped');
    assert.equal(pluginStatus('federation', '1.7.0').kind, 'removed');
    assert.equal(pluginStatus('view', '1.9.4').kind, 'not-yet');
    assert.equal(pluginStatus('view', '1.10.0').kind, 'shipped');
    assert.equal(pluginStatus('forward', newestKnownVersion).kind, 'shipped');
    assert.equal(pluginStatus('froward', newestKnownVersion).kind, 'unknown');
  });
});
