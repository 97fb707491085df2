import type { Finding } from '../../findings.ts';
import { newestKnownVersion } from '../corefile/coredns-versions.ts';
import { parseCorefile } from '../corefile/corefile-parser.ts';
import { type ClusterDnsAddress, detectRole } from '../corefile/corefile-roles.ts';
import { lintCorefile } from './lint.ts';

/** For tests: lints a Corefile written inline, as `Corefile`, in cluster.local. */
export function lintText(
  text: string,
  clusterDns?: ClusterDnsAddress,
  corednsVersion = newestKnownVersion,
): Finding[] {
  const corefile = parseCorefile(text, { label: 'Corefile' });
  return lintCorefile({
    corefile,
    role: detectRole(corefile),
    clusterDns,
    clusterDomain: 'cluster.local.',
    corednsVersion,
  });
}
