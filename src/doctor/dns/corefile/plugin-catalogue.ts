/**
 * Facts about CoreDNS's built-in plugins. The order is CoreDNS's plugin.cfg: a query passes
 * through the plugins of a server block in this order, whatever order the Corefile lists.
 */
export const pluginOrder = [
  'root',
  'metadata',
  'geoip',
  'cancel',
  'proxyproto',
  'quic',
  'grpc_server',
  'https',
  'https3',
  'timeouts',
  'multisocket',
  'reload',
  'nsid',
  'bufsize',
  'bind',
  'debug',
  'trace',
  'ready',
  'health',
  'pprof',
  'shed',
  'prometheus',
  'errors',
  'log',
  'dnstap',
  'local',
  'dns64',
  'any',
  'chaos',
  'loadbalance',
  'tsig',
  'rewrite',
  'autopath',
  'acl',
  'cache',
  'header',
  'dnssec',
  'tls',
  'minimal',
  'template',
  'transfer',
  'hosts',
  'route53',
  'azure',
  'clouddns',
  'k8s_external',
  'kubernetes',
  'file',
  'auto',
  'secondary',
  'etcd',
  'loop',
  'forward',
  'grpc',
  'erratic',
  'whoami',
  'on',
  'sign',
  'view',
  'nomad',
] as const;

const orderIndex = new Map<string, number>(pluginOrder.map((name, index) => [name, index]));

/** Position of a plugin in the query path; unknown plugins sort last. */
export function pluginRank(name: string): number {
  return orderIndex.get(name) ?? pluginOrder.length;
}

export function isBuiltinPlugin(name: string): boolean {
  return orderIndex.has(name);
}

/** Plugins whose setup fails with "this plugin can only be used once per Server Block". */
export const oncePerBlock = new Set([
  'cache',
  'dnssec',
  'errors',
  'grpc',
  'hosts',
  'kubernetes',
  'loop',
  'prometheus',
  'nsid',
  'pprof',
  'ready',
  'shed',
  'tsig',
  'view',
]);

/** Plugins CoreDNS no longer ships, with what replaced them. */
export const removedPlugins: Record<string, string> = {
  proxy: 'removed in CoreDNS 1.5; use forward',
  federation: 'removed in CoreDNS 1.7',
  reverse: 'removed in CoreDNS 1.2; use template or a reverse zone key',
  startup: 'removed in CoreDNS 1.1; use on',
  shutdown: 'removed in CoreDNS 1.1; use on',
  httpproxy: 'removed in CoreDNS 005; use forward',
};

/** Options that plugins dropped or ignore, by plugin. */
export const removedOptions: Record<string, Record<string, string>> = {
  kubernetes: {
    upstream: 'ignored since CoreDNS 1.5 and removed in 1.7',
    resyncperiod: 'removed in CoreDNS 1.7',
    cidrs: 'removed; use reverse zones in the server block key',
    federation: 'removed; federation is gone',
    autopath: 'moved to the autopath plugin',
    transfer: 'moved to the transfer plugin',
  },
  file: {
    upstream: 'ignored since CoreDNS 1.5',
    no_reload: 'removed; use reload 0',
    transfer: 'moved to the transfer plugin',
  },
  auto: {
    upstream: 'ignored since CoreDNS 1.5',
    timeout: 'removed; use reload',
    no_reload: 'removed; use reload 0',
    transfer: 'moved to the transfer plugin',
  },
  etcd: { upstream: 'ignored since CoreDNS 1.5' },
  template: { upstream: 'ignored since CoreDNS 1.5' },
  secondary: { upstream: 'ignored since CoreDNS 1.5' },
  route53: { upstream: 'ignored since CoreDNS 1.5' },
};

/** Plugins that can answer a query themselves (and so end the chain) for names in their zones. */
export const answeringPlugins = new Set([
  'template',
  'hosts',
  'route53',
  'azure',
  'clouddns',
  'k8s_external',
  'kubernetes',
  'file',
  'auto',
  'secondary',
  'etcd',
  'forward',
  'grpc',
  'erratic',
  'whoami',
  'nomad',
  'local',
  'chaos',
  'any',
]);
