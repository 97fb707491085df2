import assert from 'node:assert/strict';
import { test } from 'node:test';
import { debianPeers, peerBinary, requireExecutable } from './debian-peers.ts';

test('a missing peer fails with the Debian package to install', () => {
  assert.throws(
    () => requireExecutable('/usr/sbin/no-such-peer', 'no-such-package'),
    /^Error: \/usr\/sbin\/no-such-peer is missing: install the Debian package no-such-package \(apt-get install -y no-such-package\)$/,
  );
});

test('an installed peer gives its path', () => {
  assert.equal(peerBinary('nginx'), debianPeers.nginx.binary);
});
