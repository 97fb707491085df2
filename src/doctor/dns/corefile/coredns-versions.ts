import semver from 'semver';

/**
 * What each CoreDNS release accepts, so the doctor judges a Corefile against the CoreDNS that
 * will load it. Plugin lives come from plugin.cfg (core/dnsserver/zdirectives.go) at each
 * release tag; option and feature changes from each plugin's setup.go and the release notes.
 * A release refuses a directive it does not list ("Unknown directive") and an option its
 * setup does not parse ("unknown property").
 */
export const oldestKnownVersion = '1.0.0';
export const newestKnownVersion = '1.14.7';

export interface PluginLife {
  /** First release that ships the plugin; absent for plugins in 1.0.0 already. */
  since?: string;
  /** First release without it. */
  removedIn?: string;
  instead?: string;
}

export const pluginLives: Readonly<Record<string, PluginLife>> = Object.freeze({
  acl: { since: '1.6.4' },
  any: { since: '1.5.1' },
  auto: {},
  autopath: {},
  azure: { since: '1.6.2' },
  bind: {},
  bufsize: { since: '1.6.6' },
  cache: {},
  cancel: { since: '1.5.0' },
  chaos: {},
  clouddns: { since: '1.6.3' },
  debug: {},
  dns64: { since: '1.7.0' },
  dnssec: {},
  dnstap: {},
  erratic: {},
  errors: {},
  etcd: {},
  federation: { removedIn: '1.7.0' },
  file: {},
  forward: { since: '1.0.6' },
  geoip: { since: '1.8.5' },
  grpc: { since: '1.5.0' },
  grpc_server: { since: '1.14.0' },
  header: { since: '1.8.5' },
  health: {},
  hosts: {},
  httpproxy: { removedIn: '1.0.0', instead: 'forward' },
  https: { since: '1.14.0' },
  https3: { since: '1.14.0' },
  k8s_external: { since: '1.3.0' },
  kubernetes: {},
  loadbalance: {},
  local: { since: '1.8.1' },
  log: {},
  loop: { since: '1.2.1' },
  metadata: { since: '1.2.0' },
  minimal: { since: '1.8.4' },
  multisocket: { since: '1.12.0' },
  nomad: { since: '1.13.0' },
  nsid: { since: '1.0.1' },
  on: { since: '1.0.5' },
  pprof: {},
  prometheus: {},
  proxy: { removedIn: '1.5.0', instead: 'forward' },
  proxyproto: { since: '1.14.2' },
  quic: { since: '1.12.2' },
  ready: { since: '1.5.0' },
  reload: { since: '1.1.0' },
  reverse: { removedIn: '1.2.0', instead: 'template or a reverse zone key' },
  rewrite: {},
  root: {},
  route53: { since: '1.0.5' },
  secondary: {},
  shed: { since: '1.14.7' },
  shutdown: { removedIn: '1.1.1', instead: 'on' },
  sign: { since: '1.6.3' },
  startup: { removedIn: '1.1.1', instead: 'on' },
  template: { since: '1.0.3' },
  timeouts: { since: '1.10.1' },
  tls: {},
  trace: {},
  transfer: { since: '1.6.5' },
  tsig: { since: '1.9.4' },
  view: { since: '1.10.0' },
  whoami: {},
});

export interface OptionLife {
  /** From this release on the option is parsed but does nothing. */
  ignoredSince?: string;
  /** From this release on setup refuses it ("unknown property"). */
  removedIn?: string;
  instead?: string;
}

/** Options inside a plugin's block that changed meaning, by plugin, then option. */
export const optionLives: Readonly<Record<string, Readonly<Record<string, OptionLife>>>> =
  Object.freeze({
    kubernetes: {
      upstream: { ignoredSince: '1.5.0', removedIn: '1.7.0' },
      resyncperiod: { ignoredSince: '1.6.0', removedIn: '1.7.0' },
      transfer: { removedIn: '1.8.0', instead: 'the transfer plugin' },
    },
    file: {
      upstream: { ignoredSince: '1.5.0' },
      no_reload: { removedIn: '1.5.0', instead: 'reload 0' },
      transfer: { removedIn: '1.8.0', instead: 'the transfer plugin' },
    },
    auto: {
      upstream: { ignoredSince: '1.5.0' },
      no_reload: { removedIn: '1.5.0', instead: 'reload 0' },
      transfer: { removedIn: '1.8.0', instead: 'the transfer plugin' },
    },
    secondary: { upstream: { ignoredSince: '1.5.0' } },
    etcd: { upstream: { ignoredSince: '1.5.0' } },
    template: { upstream: { ignoredSince: '1.5.0' } },
    route53: { upstream: { ignoredSince: '1.5.0' } },
  });

/** Kinds of forward target and the first release whose forward accepts them. */
export const forwardTargetSince = Object.freeze({
  /** DNS over HTTPS, `https://IP[:port]` (plugin/forward, 1.14.5 release notes). */
  https: '1.14.5',
  /** A host name resolved at start (plugin/forward, 1.14.4 release notes). */
  hostname: '1.14.4',
});

/** Reads `1.11`, `v1.11.3` or `1.11.3-eks.1` as a release number; undefined if it is none. */
export function parseCorednsVersion(text: string): string | undefined {
  const match = /^v?(\d+)\.(\d+)(?:\.(\d+))?(?:[-+][0-9A-Za-z.-]*)?$/.exec(text.trim());
  if (!match) return undefined;
  return `${Number(match[1])}.${Number(match[2])}.${Number(match[3] ?? 0)}`;
}

/** True when `version` is `since` or later; no `since` means every release. */
export function atLeast(version: string, since: string | undefined): boolean {
  return since === undefined || semver.gte(version, since);
}

/** How a plugin stands in a release: shipped, not yet there, gone, or never built in. */
export function pluginStatus(
  name: string,
  version: string,
): { kind: 'shipped' | 'not-yet' | 'removed' | 'unknown'; life?: PluginLife } {
  const life = pluginLives[name];
  if (!life) return { kind: 'unknown' };
  if (life.removedIn && atLeast(version, life.removedIn)) return { kind: 'removed', life };
  if (!atLeast(version, life.since)) return { kind: 'not-yet', life };
  return { kind: 'shipped', life };
}

/**
 * The CoreDNS release of a container image: `registry.k8s.io/coredns/coredns:v1.11.3`,
 * `rancher/mirrored-coredns-coredns:1.12.0`. Other images (node-cache, which builds its own
 * CoreDNS) and digests without a tag give none.
 */
export function versionFromImage(image: string): string | undefined {
  const match = /(?:^|\/)([^/:@]+):([^/:@]+)(?:@.*)?$/.exec(image);
  if (!match?.[1] || !match[2] || !/(^|[-_])coredns$/.test(match[1])) return undefined;
  return parseCorednsVersion(match[2]);
}
