/** What the kubernetes plugin will say about a name in its zone, judged from the name alone. */
export interface KubernetesVerdict {
  /** `nxdomain` when no object can have this name; `maybe` when it depends on what exists. */
  outcome: 'nxdomain' | 'maybe' | 'answer';
  detail: string;
}

/**
 * Names the kubernetes plugin can answer: `svc.ns.svc.ZONE`, `endpoint.svc.ns.svc.ZONE`,
 * `_port._proto.svc.ns.svc.ZONE`, `a-b-c-d.ns.pod.ZONE`, the zone apex and `dns-version.ZONE`.
 * Every other shape is NXDOMAIN whatever runs in the cluster.
 */
export function judgeKubernetesName(name: string, zone: string): KubernetesVerdict {
  const relative = zone === '.' ? name : name.slice(0, name.length - zone.length);
  const labels = relative
    .replace(/\.$/, '')
    .split('.')
    .filter((l) => l !== '');
  if (labels.length === 0) return { outcome: 'answer', detail: 'the zone apex (SOA/NS)' };
  if (labels.length === 1 && labels[0] === 'dns-version') {
    return { outcome: 'answer', detail: 'the schema version record' };
  }
  const kind = labels[labels.length - 1];
  const rest = labels.slice(0, -1);
  if (kind === 'svc') {
    const [namespace] = rest.slice(-1);
    if (rest.length === 1)
      return { outcome: 'maybe', detail: `namespace ${namespace}: no records` };
    const [service] = rest.slice(-2, -1);
    if (rest.length === 2) {
      return {
        outcome: 'maybe',
        detail: `answers if Service ${service} exists in namespace ${namespace}`,
      };
    }
    if (rest.length === 3) {
      return {
        outcome: 'nxdomain',
        detail: `NXDOMAIN unless headless Service ${service} in namespace ${namespace} has endpoint ${rest[0]}`,
      };
    }
    if (rest.length === 4 && rest[0]?.startsWith('_') && rest[1]?.startsWith('_')) {
      return { outcome: 'maybe', detail: `SRV for port ${rest[0]} of Service ${service}` };
    }
    return { outcome: 'nxdomain', detail: 'NXDOMAIN: no Service name has this shape' };
  }
  if (kind === 'pod' && rest.length === 2 && /^[0-9a-f-]+$/.test(rest[0] ?? '')) {
    return { outcome: 'maybe', detail: 'a pod IP name (answers if pods insecure/verified)' };
  }
  return { outcome: 'nxdomain', detail: 'NXDOMAIN: not a Service or pod name' };
}
