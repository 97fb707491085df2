import { Command, InvalidArgumentError, Option } from 'commander';
import {
  type DoctorIo,
  exitCodes,
  processIo,
  readStdin,
  runReporting,
} from '../doctor/doctor-io.ts';

const collect = (value: string, previous: string[]) => [...previous, value];

const milliseconds = (value: string) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < 1 || number > 600_000) {
    throw new InvalidArgumentError('expected milliseconds between 1 and 600000');
  }
  return number;
};

/** Usage errors exit 2 ("could not run"); help and version still exit 0. */
const exitOnError = (command: Command) =>
  command.exitOverride((error) => {
    process.exit(error.exitCode === 0 ? exitCodes.clean : exitCodes.couldNotRun);
  });

/**
 * `ballast doctor dns …`, `ballast doctor upstream URL …` and `ballast doctor index URL|FILE`. Exit codes: 0 clean,
 * 1 problems found, 2 could not run. `io` is for tests; the CLI uses the process.
 */
export function createDoctorCommand(io: DoctorIo = processIo()): Command {
  const doctor = exitOnError(
    new Command('doctor').description('find the broken hop: cluster DNS and chart upstreams'),
  );

  exitOnError(
    doctor
      .command('dns')
      .description(
        'lint Corefiles and resolv.conf, trace names through them, probe forward targets',
      )
      .option(
        '--corefile <file>',
        'Corefile or ConfigMap YAML (repeatable; - for stdin)',
        collect,
        [],
      )
      .option('--resolv-conf <file>', "a pod's resolv.conf (- for stdin)")
      .option('--cluster-dns <ip>', 'the cluster DNS service IP (IP or IP:port)')
      .option(
        '--cluster-domain <domain>',
        'the cluster domain (default: from the kubernetes plugin, else cluster.local)',
      )
      .option(
        '--trace <name>',
        'show every query a pod sends for NAME and where it goes (repeatable)',
        collect,
        [],
      )
      .option(
        '--coredns-version <version>',
        "judge against this CoreDNS release (default: the manifest's image, else the newest known)",
      )
      .option('--live', 'query every forward target over UDP and TCP')
      .option('--timeout <ms>', 'deadline per live query', milliseconds, 2000)
      .option('--json', 'print the report as JSON'),
  ).action(async (options: DnsCliOptions) => {
    // Loaded on use, so that other commands (the server above all) do not carry the doctor.
    const [{ runDoctorDns }, { renderDnsText }] = await Promise.all([
      import('../doctor/dns/doctor-dns.ts'),
      import('../doctor/render/render-dns-text.ts'),
    ]);
    process.exitCode = await runReporting(
      io,
      options.json === true,
      () =>
        runDoctorDns(
          {
            corefiles: options.corefile,
            resolvConf: options.resolvConf,
            clusterDns: options.clusterDns,
            clusterDomain: options.clusterDomain,
            trace: options.trace,
            corednsVersion: options.corednsVersion,
            live: options.live === true,
            timeoutMs: options.timeout,
          },
          { cwd: io.cwd, env: io.env, readStdin: readStdin(io) },
        ),
      renderDnsText,
    );
  });

  exitOnError(
    doctor
      .command('upstream')
      .description('check a chart upstream stage by stage: DNS, TCP, TLS, HTTP, payload')
      .argument('<url>', 'http(s):// classic repository or oci://registry/repository')
      .option(
        '--dns-server <host:port>',
        'also resolve through this DNS server (repeatable)',
        collect,
        [],
      )
      .option('--no-system-resolver', "leave the machine's resolver out of the DNS stage")
      .option('--ca-file <file>', 'extra CA certificates (PEM) to trust')
      .option('--chart <name>', 'for oci:// URLs: the chart whose tags to list')
      .option('--plain-http', 'for oci:// URLs: the registry speaks HTTP, not HTTPS')
      .option('--timeout <ms>', 'deadline per stage', milliseconds, 10_000)
      .option('--json', 'print the report as JSON'),
  ).action(async (url: string, options: UpstreamCliOptions) => {
    const [{ runDoctorUpstream }, { renderUpstreamText }] = await Promise.all([
      import('../doctor/upstream/doctor-upstream.ts'),
      import('../doctor/render/render-upstream-text.ts'),
    ]);
    process.exitCode = await runReporting(
      io,
      options.json === true,
      () =>
        runDoctorUpstream(
          {
            url,
            dnsServers: options.dnsServer,
            systemResolver: options.systemResolver,
            caFile: options.caFile,
            chart: options.chart,
            plainHttp: options.plainHttp === true,
            timeoutMs: options.timeout,
          },
          { cwd: io.cwd },
        ),
      renderUpstreamText,
    );
  });

  exitOnError(
    doctor
      .command('index')
      .description('read an index as Helm 3, Helm 4 and Ballast would, and say where they differ')
      .argument('<source>', 'http(s):// repository or index URL, or an index file')
      .addOption(
        new Option('--unverified <policy>', 'entries without a digest, as repos[].unverified')
          .choices(['pin', 'skip'])
          .default('pin'),
      )
      .option('--timeout <ms>', 'deadline for fetching the index', milliseconds, 30_000)
      .option('--json', 'print the report as JSON'),
  ).action(async (source: string, options: IndexCliOptions) => {
    const [{ runDoctorIndex }, { renderIndexText }] = await Promise.all([
      import('../doctor/index/doctor-index.ts'),
      import('../doctor/render/render-index-text.ts'),
    ]);
    process.exitCode = await runReporting(
      io,
      options.json === true,
      () =>
        runDoctorIndex(
          { target: source, timeoutMs: options.timeout, unverified: options.unverified },
          { cwd: io.cwd },
        ),
      renderIndexText,
    );
  });

  return doctor;
}

interface DnsCliOptions {
  corefile: string[];
  resolvConf?: string;
  clusterDns?: string;
  clusterDomain?: string;
  trace: string[];
  corednsVersion?: string;
  live?: boolean;
  timeout: number;
  json?: boolean;
}

interface UpstreamCliOptions {
  dnsServer: string[];
  systemResolver: boolean;
  caFile?: string;
  chart?: string;
  plainHttp?: boolean;
  timeout: number;
  json?: boolean;
}

interface IndexCliOptions {
  unverified: 'pin' | 'skip';
  timeout: number;
  json?: boolean;
}
