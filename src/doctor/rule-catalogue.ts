/**
 * Every finding the doctor can report, with its stable ID, severity and one-line fix.
 * docs/doctor.md documents each ID (a test checks that). Errors and warnings make the
 * command exit 1; notes (info) do not.
 */
export const ruleCatalogue = {
  // Corefile
  'plugin-duplicate': {
    severity: 'error',
    fix: 'Keep one line of this plugin per server block; CoreDNS refuses to start otherwise.',
  },
  'zone-duplicate': {
    severity: 'error',
    fix: 'Merge the two server blocks, or give them different ports or bind addresses.',
  },
  'key-brace-no-space': {
    severity: 'error',
    fix: 'Put a space between the server block key and its opening brace: `.:53 {`.',
  },
  'server-key-invalid': {
    severity: 'error',
    fix: 'Write the key as [scheme://]zone[:port] or a reverse CIDR such as 10.0.0.0/8.',
  },
  'plugin-removed': {
    severity: 'error',
    fix: 'Replace proxy with forward and startup/shutdown with on; delete federation and reverse.',
  },
  'plugin-too-new': {
    severity: 'error',
    fix: 'Upgrade CoreDNS to the release named, or drop the plugin (check --coredns-version).',
  },
  'plugin-unknown': {
    severity: 'error',
    fix: 'Check the spelling, or make sure your CoreDNS build includes this external plugin.',
  },
  'option-removed': {
    severity: 'error',
    fix: 'Delete the option (or use what replaced it): this CoreDNS refuses to start with it.',
  },
  'option-ignored': {
    severity: 'warning',
    fix: 'Delete the option: this CoreDNS accepts it but does nothing with it.',
  },
  'plugin-value-refused': {
    severity: 'error',
    fix: 'Use a value the plugin accepts (a cache TTL of at least 1 second; rewrite stop name FROM TO).',
  },
  'forward-without-cache': {
    severity: 'warning',
    fix: 'Add `cache 30` to the block so every repeated query does not go upstream.',
  },
  'forward-resolv-conf': {
    severity: 'info',
    fix: "Make sure the node's resolv.conf (kubelet --resolv-conf) lists no loopback address.",
  },
  'forward-resolv-conf-unguarded': {
    severity: 'warning',
    fix: 'Add `loop` to the block, or forward to explicit upstream addresses instead of a file.',
  },
  'forward-shadowed': {
    severity: 'error',
    fix: 'Move the more specific forward above the general one, or give it its own server block.',
  },
  'forward-too-many-targets': {
    severity: 'error',
    fix: 'List at most 15 targets in one forward.',
  },
  'forward-target-invalid': {
    severity: 'error',
    fix: 'Write each target as IP, IP:port, [IPv6]:port, dns://, tls:// or a resolv.conf path.',
  },
  'forward-self-loop': {
    severity: 'error',
    fix: 'Forward to the next DNS server, not to an address this server block listens on.',
  },
  'nodelocal-upstream-mismatch': {
    severity: 'warning',
    fix: 'Forward the cluster zones to the cluster DNS service IP, or bind that IP too and forward to kube-dns-upstream (iptables mode).',
  },
  'rewrite-cluster-name-leaves': {
    severity: 'error',
    fix: 'Rewrite in the server block that runs the kubernetes plugin, or forward the block to the cluster DNS IP.',
  },
  'stub-single-server': {
    severity: 'info',
    fix: 'List at least two servers for the stub zone, or accept that one dead server breaks it.',
  },
  'pillar-placeholder': {
    severity: 'error',
    fix: 'Replace the `__PILLAR__` placeholder with its value before applying the manifest.',
  },
  'pillar-placeholder-runtime': {
    severity: 'info',
    fix: 'Nothing to do if node-cache runs with this Corefile: it fills these in at start.',
  },
  'env-unset': {
    severity: 'warning',
    fix: 'Set the environment variable for CoreDNS, or write the value into the Corefile.',
  },
  'input-document-skipped': {
    severity: 'info',
    fix: 'Fix the YAML of that document (kubectl may accept what a strict reader does not).',
  },
  'import-files-unused': {
    severity: 'info',
    fix: 'Give the ConfigMap whose Corefile imports these files too (--corefile coredns.yaml).',
  },
  // resolv.conf
  'resolv-no-nameserver': {
    severity: 'warning',
    fix: 'Add a nameserver line; without one glibc and musl ask 127.0.0.1.',
  },
  'resolv-too-many-nameservers': {
    severity: 'warning',
    fix: 'Keep at most 3 nameserver lines; glibc and musl ignore the rest.',
  },
  'resolv-search-too-many': {
    severity: 'warning',
    fix: 'Keep at most 6 search domains (glibc before 2.26 drops the rest; Kubernetes allows 32).',
  },
  'resolv-line-too-long': {
    severity: 'warning',
    fix: 'Keep every line under 255 characters; musl ignores longer lines as a whole.',
  },
  'resolv-ndots-capped': {
    severity: 'info',
    fix: 'Use an ndots value of 15 or less; glibc and musl cap it at 15.',
  },
  'resolv-option-ignored-musl': {
    severity: 'info',
    fix: 'Do not rely on this option in Alpine (musl) images; musl reads only ndots, timeout and attempts.',
  },
  'resolv-ndots-cost': {
    severity: 'warning',
    fix: 'Write the name with a trailing dot, or lower ndots in the pod dnsConfig (e.g. ndots:2).',
  },
  'resolv-ndots-high': {
    severity: 'info',
    fix: 'Use fully qualified names (trailing dot) for external hosts, or lower ndots.',
  },
  'resolv-nameserver-not-cluster-dns': {
    severity: 'warning',
    fix: 'Point the pod at the cluster DNS IP or the NodeLocal DNSCache address (dnsPolicy ClusterFirst).',
  },
  'resolv-search-missing-cluster-domain': {
    severity: 'info',
    fix: 'Add svc.<cluster domain> to the search list, or use full service names.',
  },
  // trace
  'trace-forward-loop': {
    severity: 'error',
    fix: 'Break the cycle: one hop must forward outside the cluster or answer itself.',
  },
  'trace-no-answering-plugin': {
    severity: 'error',
    fix: 'Add a forward (or another plugin that answers) to the server block that gets the name.',
  },
  'trace-no-server-block': {
    severity: 'error',
    fix: 'Add a `.:53` server block so names outside every zone are still answered.',
  },
  // live
  'live-target-silent': {
    severity: 'error',
    fix: 'Remove the dead target from forward, or bring the DNS server back.',
  },
  'live-target-refused': {
    severity: 'error',
    fix: 'Allow recursion for CoreDNS on that server, or forward to one that serves the zone.',
  },
  'live-target-servfail': {
    severity: 'warning',
    fix: 'Look at the target: SERVFAIL means it could not get an answer itself.',
  },
  'live-transport-silent': {
    severity: 'warning',
    fix: 'Open the other transport (TCP or UDP port 53) on the target, or avoid force_tcp/prefer_udp.',
  },
  'live-target-slow': {
    severity: 'warning',
    fix: 'Find why the target takes so long, or put a closer server first.',
  },
  'live-targets-disagree': {
    severity: 'error',
    fix: 'Make every target of one forward serve the same data, or remove the stale one.',
  },
  'stub-zone-private': {
    severity: 'info',
    fix: 'Nothing to do if the zone is private; otherwise publish it or remove the stub zone.',
  },
  'stub-zone-shadows': {
    severity: 'error',
    fix: 'Remove the stub zone or point it at a server that has the current records.',
  },
  // doctor upstream
  'upstream-dns-failed': {
    severity: 'error',
    fix: 'Check that the name still has A/AAAA records and that the resolvers can reach them.',
  },
  'upstream-resolver-failed': {
    severity: 'warning',
    fix: 'Fix or remove the DNS server that failed; the others still answer.',
  },
  'upstream-dns-disagree': {
    severity: 'warning',
    fix: 'Find out which resolver holds stale records (split horizon or a forgotten stub zone).',
  },
  'upstream-tcp-failed': {
    severity: 'error',
    fix: 'Check that the service listens on that port and no firewall drops the connection.',
  },
  'upstream-tcp-partial': {
    severity: 'warning',
    fix: 'Remove the addresses that refuse connections from DNS, or fix those hosts.',
  },
  'upstream-tls-untrusted': {
    severity: 'error',
    fix: 'Serve a certificate chain from a trusted CA, or give Ballast the CA with --ca-file.',
  },
  'upstream-tls-expired': {
    severity: 'error',
    fix: 'Renew the certificate on the upstream.',
  },
  'upstream-tls-name-mismatch': {
    severity: 'error',
    fix: 'Use the host name the certificate names, or reissue it with this name.',
  },
  'upstream-tls-expiring': {
    severity: 'warning',
    fix: 'Renew the certificate before it expires.',
  },
  'upstream-http-failed': {
    severity: 'error',
    fix: 'Check the upstream server; the connection broke before a response arrived.',
  },
  'upstream-http-status': {
    severity: 'error',
    fix: 'Check the repository URL and credentials; see the meaning of the status.',
  },
  'upstream-payload-invalid': {
    severity: 'error',
    fix: 'The upstream serves something that is not a Helm index or OCI tag list; check the URL.',
  },
  'upstream-payload-empty': {
    severity: 'error',
    fix: 'The upstream serves an empty repository; check the URL or the publishing job.',
  },
  // doctor index
  'index-refused': {
    severity: 'error',
    fix: 'Fix the index at its source: Helm and Ballast both refuse it as it is.',
  },
  'index-helm-refuses': {
    severity: 'error',
    fix: 'Quote the value in the index (appVersion: "1.40"); through Ballast, Helm reads it already.',
  },
  'index-empty': {
    severity: 'error',
    fix: 'Check the URL or the publishing job: the index lists no chart Ballast can serve.',
  },
  'index-entry-dropped': {
    severity: 'warning',
    fix: 'Publish a digest for the entry, or set repos[].unverified: pin to serve it.',
  },
  'index-entry-helm-differs': {
    severity: 'warning',
    fix: 'Rename the chart: Helm 3 lists it, Helm 4 and Ballast skip it.',
  },
  'index-entry-skipped': {
    severity: 'info',
    fix: 'Nothing to do unless the entry should be installable: Helm skips it, so does Ballast.',
  },
  'index-entry-unverified': {
    severity: 'info',
    fix: 'Publish a digest for the entry; until then Ballast pins the sha256 of its first download.',
  },
  'index-entry-repaired': {
    severity: 'info',
    fix: 'Nothing to do: Helm reads the entry alike; Ballast serves it in canonical form.',
  },
  'upstream-payload-shrunk': {
    severity: 'warning',
    fix: 'Check the publishing job of the upstream; the guard keeps serving the last good index.',
  },
  'upstream-file-missing': {
    severity: 'error',
    fix: 'Check the probe path and the upstream; downloads of missing files fail over to the next upstream.',
  },
} as const satisfies Record<string, { severity: 'error' | 'warning' | 'info'; fix: string }>;

export type RuleId = keyof typeof ruleCatalogue;

export const ruleIds = Object.keys(ruleCatalogue) as RuleId[];
