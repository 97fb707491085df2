import { resolve } from 'node:path';
import { usageError } from '../../doctor-errors.ts';
import { readTextFile, type TextInput } from '../../input/read-input.ts';
import type { Environment } from '../corefile/corefile-env.ts';
import { createFileImportSource } from '../corefile/corefile-import.ts';
import { parseCorefile } from '../corefile/corefile-parser.ts';
import type { LoadedCorefile } from '../corefile/corefile-roles.ts';
import { type CorefileRole, detectRole } from '../corefile/corefile-roles.ts';
import { parseResolvConf, type ResolvConf } from '../resolv/resolv-conf.ts';
import { looksLikeKubernetesObject, readConfigMaps } from './configmap-input.ts';

export interface InputSummary {
  label: string;
  kind: 'corefile' | 'resolv.conf';
  role?: CorefileRole;
  configMap?: string;
  serverBlocks?: number;
  imported?: string[];
}

export interface DnsInputs {
  corefiles: LoadedCorefile[];
  resolvConf?: ResolvConf;
  summaries: InputSummary[];
}

export interface InputSources {
  cwd: string;
  env: Environment;
  /** Reads standard input; called at most once (`-` may stand for one input only). */
  readStdin(): Promise<TextInput>;
}

/** Reads every --corefile (plain or ConfigMap YAML) and the --resolv-conf, then parses them. */
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
  const virtualFiles = new Map<string, string>();
  const pending: Array<{
    input: TextInput;
    text: string;
    label: string;
    lineOffset: number;
    columnOffset: number;
    configMap?: string;
  }> = [];
  for (const input of texts) {
    if (!looksLikeKubernetesObject(input.text)) {
      pending.push({ input, text: input.text, label: input.label, lineOffset: 0, columnOffset: 0 });
      continue;
    }
    const configMaps = readConfigMaps(input.text, input.label);
    for (const [key, value] of configMaps.dataFiles) virtualFiles.set(key, value);
    for (const embedded of configMaps.corefiles) {
      pending.push({
        input,
        text: embedded.text,
        label: embedded.located ? input.label : `${input.label} (ConfigMap ${embedded.configMap})`,
        lineOffset: embedded.lineOffset,
        columnOffset: embedded.columnOffset,
        configMap: embedded.configMap,
      });
    }
  }
  const imports = createFileImportSource({ virtualFiles, cwd: sources.cwd });
  const corefiles: LoadedCorefile[] = pending.map((p) => {
    const corefile = parseCorefile(p.text, {
      label: p.label,
      path: p.input.path,
      env: sources.env,
      imports,
      lineOffset: p.lineOffset,
      columnOffset: p.columnOffset,
      configMap: p.configMap,
    });
    return { corefile, role: detectRole(corefile) };
  });
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
  let resolvConf: ResolvConf | undefined;
  if (resolvConfPath) {
    const input = await read(resolvConfPath);
    resolvConf = parseResolvConf(input.text, input.label);
    summaries.push({ label: input.label, kind: 'resolv.conf' });
  }
  return { corefiles, resolvConf, summaries };
}
