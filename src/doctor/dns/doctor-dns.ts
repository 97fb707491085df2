import { usageError } from '../doctor-errors.ts';
import { dedupeFindings, type Finding, sortFindings } from '../findings.ts';
import { createLiveQuerier } from '../net/live-querier.ts';
import {
  atLeast,
  newestKnownVersion,
  oldestKnownVersion,
  parseCorednsVersion,
  versionFromImage,
} from './corefile/coredns-versions.ts';
import {
  type ClusterDnsAddress,
  clusterDomainOf,
  parseClusterDns,
} from './corefile/corefile-roles.ts';
import { bindAddresses } from './corefile/forward-config.ts';
import { domainProblem } from './corefile/server-key.ts';
import { type InputSources, type InputSummary, loadDnsInputs } from './input/load-inputs.ts';
import { lintCorefile, lintResolvConf } from './lint/lint.ts';
import { type LiveTarget, probedForwards, probeTargets } from './live/live-probe.ts';
import { checkShadowing, type ShadowComparison } from './live/shadowing.ts';
import { assumedPodResolvConf, type ResolvConf } from './resolv/resolv-conf.ts';
import { type NameTrace, traceName } from './trace/trace.ts';
import { addLiveAnswers } from './trace/trace-live.ts';
import { lookupEnds } from './trace/trace-outcome.ts';

export interface DoctorDnsOptions {
  corefiles: string[];
  resolvConf?: string;
  clusterDns?: string;
  clusterDomain?: string;
  trace: string[];
  /** The CoreDNS release to judge against; default: from a Deployment's image, else the newest known. */
  corednsVersion?: string;
  live: boolean;
  /** Per-query deadline for --live. */
  timeoutMs: number;
}

export interface DnsReport {
  command: 'dns';
  findings: Finding[];
  inputs: InputSummary[];
  clusterDomain: string;
  /** The CoreDNS release the Corefiles were judged against, and where that came from. */
  coredns: CorednsRelease;
  traces: NameTrace[];
  live?: {
    targets: LiveTarget[];
    shadowing: ShadowComparison[];
    queriesSent: number;
  };
}

/** `ballast doctor dns`: parse, lint, trace and (with --live) probe. Throws DoctorError when it cannot run. */
export async function runDoctorDns(
  options: DoctorDnsOptions,
  sources: InputSources,
): Promise<DnsReport> {
  if (options.corefiles.length === 0 && !options.resolvConf) {
    throw usageError('give at least one --corefile FILE or a --resolv-conf FILE');
  }
  let clusterDns: ClusterDnsAddress | undefined;
  if (options.clusterDns !== undefined) {
    clusterDns = parseClusterDns(options.clusterDns);
    if (!clusterDns)
      throw usageError(`--cluster-dns ${options.clusterDns} is not an IP address (or IP:port)`);
  }
  if (options.clusterDomain !== undefined && domainProblem(options.clusterDomain)) {
    throw usageError(
      `--cluster-domain ${options.clusterDomain}: ${domainProblem(options.clusterDomain)}`,
    );
  }
  let givenVersion: string | undefined;
  if (options.corednsVersion !== undefined) {
    givenVersion = parseCorednsVersion(options.corednsVersion);
    if (!givenVersion || !atLeast(givenVersion, oldestKnownVersion)) {
      throw usageError(
        `--coredns-version ${options.corednsVersion}: expected a CoreDNS release such as ${newestKnownVersion} (${oldestKnownVersion} or later)`,
      );
    }
  }
  for (const name of options.trace) {
    const problem = name.trim() === '' ? 'empty name' : domainProblem(name);
    if (problem) throw usageError(`--trace ${JSON.stringify(name)}: ${problem}`);
  }

  const inputs = await loadDnsInputs(options.corefiles, options.resolvConf, sources);
  const clusterDomain = clusterDomainOf(
    inputs.corefiles.map((c) => c.corefile),
    options.clusterDomain,
  );
  const coredns = chooseRelease(givenVersion, inputs.images);
  const findings: Finding[] = [...inputs.notes];
  for (const { corefile, role } of inputs.corefiles) {
    findings.push(
      ...lintCorefile({
        corefile,
        role,
        clusterDns,
        clusterDomain,
        corednsVersion: coredns.version,
      }),
    );
  }
  const localDnsAddresses = inputs.corefiles
    .filter((c) => c.role === 'nodelocal')
    .flatMap((c) => c.corefile.blocks.flatMap(bindAddresses));
  const resolv: ResolvConf =
    inputs.resolvConf ??
    assumedPodResolvConf(
      clusterDns?.host ?? localDnsAddresses.find((a) => a.startsWith('169.254.')) ?? 'cluster-dns',
      clusterDomain,
    );
  const traces: NameTrace[] = [];
  for (const name of options.trace) {
    const result = traceName(name, { corefiles: inputs.corefiles, clusterDns, resolv });
    traces.push(result.trace);
    findings.push(...result.findings);
  }
  const resolvContext = { conf: resolv, clusterDns, clusterDomain, localDnsAddresses, traces };
  // Without a resolv.conf only what ndots costs the traced names is judged (on kubelet's defaults).
  findings.push(
    ...lintResolvConf(resolvContext, inputs.resolvConf ? undefined : ['resolv-ndots-cost']),
  );

  const report: DnsReport = {
    command: 'dns',
    findings: [],
    inputs: inputs.summaries,
    clusterDomain,
    coredns,
    traces,
  };
  if (options.live) {
    const querier = createLiveQuerier({ timeoutMs: options.timeoutMs });
    const forwards = probedForwards(inputs.corefiles);
    await addLiveAnswers(traces, querier);
    const probed = await probeTargets(forwards, traces, querier);
    const shadowing = await checkShadowing(forwards, traces, querier, {
      clusterDomain,
      clusterDns,
    });
    findings.push(...probed.findings, ...shadowing.findings);
    report.live = {
      targets: probed.targets,
      shadowing: shadowing.comparisons,
      queriesSent: querier.sent,
    };
  }
  for (const trace of traces) trace.ends = lookupEnds(trace);
  report.findings = sortFindings(dedupeFindings(findings));
  return report;
}

export interface CorednsRelease {
  version: string;
  /** `--coredns-version`, the image it was read from, or the newest release the doctor knows. */
  from: string;
}

/** The flag wins; else the first CoreDNS image of the manifests; else the newest known release. */
function chooseRelease(given: string | undefined, images: readonly string[]): CorednsRelease {
  if (given) return { version: given, from: '--coredns-version' };
  for (const image of images) {
    const version = versionFromImage(image);
    if (version) return { version, from: `image ${image}` };
  }
  return { version: newestKnownVersion, from: 'the newest release the doctor knows' };
}
