import { resolve } from 'node:path';
import { DoctorError, usageError } from '../../doctor-errors.ts';
import { type Finding, finding } from '../../findings.ts';
import { readTextFile, type TextInput } from '../../input/read-input.ts';
import type { Environment } from '../corefile/corefile-env.ts';
import { createFileImportSource, podPathPrefix } from '../corefile/corefile-import.ts';
import { parseCorefile } from '../corefile/corefile-parser.ts';
import { type CorefileRole, detectRole, type LoadedCorefile } from '../corefile/corefile-roles.ts';
import { parseResolvConf, type ResolvConf } from '../resolv/resolv-conf.ts';
import { collectCorefiles, type PendingCorefile, withFoldingHint } from './collect-corefiles.ts';

export interface InputSummary {
  label: string;
  kind: 'corefile' | 'import-files' | 'resolv.conf';
  role?: CorefileRole;
  configMap?: string;
  serverBlocks?: number;
  imported?: string[];
  /** For a ConfigMap of import files: its keys, and the Corefiles that import them. */
  files?: string[];
  importedBy?: string[];
}

export interface DnsInputs {
  corefiles: LoadedCorefile[];
  resolvConf?: ResolvConf;
  summaries: InputSummary[];
  /** Images of Deployments and DaemonSets in the manifests, for the CoreDNS release. */
  images: string[];
  /** Notes about the inputs themselves (skipped documents, import files nobody imports). */
  notes: Finding[];
}

export interface InputSources {
  cwd: string;
  env: Environment;
  /** Reads standard input; called at most once (`-` may stand for one input only). */
  readStdin(): Promise<TextInput>;
}

/** Import files nobody imports are still linted when they are whole server blocks. */
const serverBlockFile = /\.server$/;
/** How coredns-custom ConfigMaps (AKS, k3s, RKE2) name their import files. */
const importFile = /\.(server|override)$/;

/** Reads every --corefile (plain or Kubernetes YAML) and the --resolv-conf, then parses them. */
export async function loadDnsInputs(
  corefilePaths: readonly string[],
  resolvConfPath: string | undefined,
  sources: InputSources,
): Promise<DnsInputs> {
  const all = [...corefilePaths, ...(resolvConfPath ? [resolvConfPath] : [])];
  if (all.filter((p) => p === '-').length > 1) {
    throw usageError('standard input (-) can stand for only one input');
  }
  const read = async (path: string): Promise<TextInput> =>
    path === '-'
      ? { ...(await sources.readStdin()), path: resolve(sources.cwd, 'stdin') }
      : readTextFile(resolve(sources.cwd, path), path);

  const texts: TextInput[] = [];
  for (const path of corefilePaths) texts.push(await read(path));
  const { pending, podFiles, importOnly, images, notes } = collectCorefiles(texts);
  const imports = createFileImportSource({ podFiles, cwd: sources.cwd });
  const importedBy = new Map<string, string[]>();
  const parse = (p: PendingCorefile): LoadedCorefile => {
    const corefile = withFoldingHint(podFiles, () =>
      parseCorefile(p.text, {
        label: p.label,
        path: p.path,
        env: sources.env,
        imports,
        lineOffset: p.lineOffset,
        columnOffset: p.columnOffset,
        configMap: p.configMap,
      }),
    );
    for (const name of corefile.imported) {
      const by = importedBy.get(name) ?? [];
      importedBy.set(name, [...by, p.configMap ?? p.label]);
    }
    return { corefile, role: detectRole(corefile) };
  };
  const corefiles = pending.map(parse);
  const importSummaries: InputSummary[] = [];
  for (const [configMap, inputLabel] of importOnly) {
    const files = [...podFiles.entries()].filter(([, f]) => f.configMap === configMap);
    const names = files.map(([path]) => path.slice(podPathPrefix.length));
    const by = [...new Set(names.flatMap((n) => importedBy.get(n) ?? []))];
    // Other ConfigMaps of a manifest (an autoscaler's, say) are no business of CoreDNS.
    if (by.length === 0 && !files.some(([, f]) => importFile.test(f.name))) continue;
    importSummaries.push({
      label: inputLabel,
      kind: 'import-files',
      configMap,
      files: files.map(([, f]) => f.name),
      importedBy: by,
    });
    if (by.length > 0) continue;
    notes.push(
      finding(
        'import-files-unused',
        `ConfigMap ${configMap} holds import files (${files.map(([, f]) => f.name).join(', ')}) that no Corefile given imports; give the CoreDNS ConfigMap too, to judge them in place${files.some(([, f]) => serverBlockFile.test(f.name)) ? ' (its *.server files are checked on their own)' : ''}`,
        { file: inputLabel, line: (files[0]?.[1].lineOffset ?? 0) || 1, column: 1 },
      ),
    );
    for (const [path, file] of files) {
      if (!serverBlockFile.test(file.name)) continue;
      corefiles.push(
        parse({
          input: file.input,
          text: file.text,
          label: file.label,
          path,
          lineOffset: file.lineOffset ?? 0,
          columnOffset: file.columnOffset ?? 0,
          configMap,
        }),
      );
    }
  }
  const summaries: InputSummary[] = corefiles.map(({ corefile, role }) => {
    const summary: InputSummary = {
      label: corefile.label,
      kind: 'corefile',
      role,
      serverBlocks: corefile.blocks.length,
      imported: corefile.imported,
    };
    if (corefile.configMap) summary.configMap = corefile.configMap;
    return summary;
  });
  summaries.push(...importSummaries);
  let resolvConf: ResolvConf | undefined;
  if (resolvConfPath) {
    const input = await read(resolvConfPath);
    resolvConf = parseResolvConf(input.text, input.label);
    summaries.push({ label: input.label, kind: 'resolv.conf' });
  }
  if (corefilePaths.length > 0 && corefiles.length === 0 && !resolvConf) {
    const keys = [...importOnly.keys()].map(
      (c) =>
        `${c} (keys: ${
          [...podFiles.values()]
            .filter((f) => f.configMap === c)
            .map((f) => f.name)
            .join(', ') || 'none'
        })`,
    );
    throw new DoctorError('BALLAST_DOCTOR_CONFIGMAP_INVALID', {
      file: corefilePaths.join(', '),
      problem: `no ConfigMap has a Corefile key in data, and none holds *.server import files: ${keys.join('; ')}`,
    });
  }
  return { corefiles, resolvConf, summaries, images, notes };
}
