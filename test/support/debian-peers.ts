import { accessSync, constants } from 'node:fs';

/** The real peers Debian packages provide (shared/TESTING.md); .ci/run installs them. */
export const debianPeers = {
  nginx: { binary: '/usr/sbin/nginx', package: 'nginx-light' },
  registry: { binary: '/usr/bin/docker-registry', package: 'docker-registry' },
  skopeo: { binary: '/usr/bin/skopeo', package: 'skopeo' },
  dnsmasq: { binary: '/usr/sbin/dnsmasq', package: 'dnsmasq-base' },
  wrk: { binary: '/usr/bin/wrk', package: 'wrk' },
  umoci: { binary: '/usr/bin/umoci', package: 'umoci' },
  htpasswd: { binary: '/usr/bin/htpasswd', package: 'apache2-utils' },
  /** Debian's own Node.js, older than the project's: how `ballast` starts under another Node. */
  debianNode: { binary: '/usr/bin/node', package: 'nodejs' },
  chromium: { binary: '/usr/bin/chromium', package: 'chromium' },
  promtool: { binary: '/usr/bin/promtool', package: 'prometheus' },
  gpg: { binary: '/usr/bin/gpg', package: 'gnupg' },
} as const;

export type DebianPeer = keyof typeof debianPeers;

/** The peer's executable, or an error saying which Debian package to install. */
export function peerBinary(peer: DebianPeer): string {
  const { binary, package: name } = debianPeers[peer];
  return requireExecutable(binary, name);
}

export function requireExecutable(binary: string, debianPackage: string): string {
  try {
    accessSync(binary, constants.X_OK);
  } catch {
    const install = `apt-get install -y ${debianPackage}`;
    throw new Error(
      `${binary} is missing: install the Debian package ${debianPackage} (${install})`,
    );
  }
  return binary;
}
