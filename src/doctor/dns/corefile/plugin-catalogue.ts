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
