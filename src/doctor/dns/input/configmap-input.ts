import { loadAll } from 'js-yaml';
import { DoctorError } from '../../doctor-errors.ts';

/** One Corefile taken out of a ConfigMap, with where its text sits in the YAML file. */
export interface EmbeddedCorefile {
  text: string;
  configMap: string;
  /** Offsets that turn a line/column inside the Corefile into one in the YAML file. */
  lineOffset: number;
  columnOffset: number;
  /** False when the Corefile could not be located in the YAML (e.g. JSON); lines then count from the Corefile. */
  located: boolean;
}

export interface ConfigMapInput {
  corefiles: EmbeddedCorefile[];
  /** Other data keys (e.g. coredns-custom's `*.server`), by key, for `import`. */
  dataFiles: Map<string, string>;
}

/** True when the text is Kubernetes YAML or JSON rather than a Corefile. */
export function looksLikeKubernetesObject(text: string): boolean {
  if (/^\s*\{[\s\S]*"kind"\s*:/.test(text)) return true;
  return /^(apiVersion|kind)\s*:/m.test(text);
}

interface ConfigMapLike {
  name: string;
  data: Record<string, unknown>;
}

/**
 * Reads `kubectl get cm … -o yaml` output: one or several ConfigMaps (YAML documents or a
 * `List`). Every ConfigMap with a `Corefile` key gives a Corefile; other keys become files
 * that `import` can find.
 */
export function readConfigMaps(text: string, label: string): ConfigMapInput {
  let documents: unknown[];
  try {
    documents = loadAll(text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new DoctorError('BALLAST_DOCTOR_CONFIGMAP_INVALID', {
      file: label,
      problem: `not valid YAML: ${reason}`,
    });
  }
  const configMaps = documents.flatMap((doc) => configMapsIn(doc));
  if (configMaps.length === 0) {
    throw new DoctorError('BALLAST_DOCTOR_CONFIGMAP_INVALID', {
      file: label,
      problem: 'holds no ConfigMap (expected kind: ConfigMap or a List of them)',
    });
  }
  const locations = locateCorefileScalars(text);
  const corefiles: EmbeddedCorefile[] = [];
  const dataFiles = new Map<string, string>();
  for (const configMap of configMaps) {
    for (const [key, value] of Object.entries(configMap.data)) {
      if (typeof value !== 'string') continue;
      if (key !== 'Corefile') {
        dataFiles.set(key, value);
        continue;
      }
      const location = locations[corefiles.length];
      const located = location !== undefined && firstLineMatches(text, location, value);
      corefiles.push({
        text: value,
        configMap: configMap.name,
        lineOffset: located ? location.lineOffset : 0,
        columnOffset: located ? location.columnOffset : 0,
        located,
      });
    }
  }
  if (corefiles.length === 0) {
    const names = configMaps.map(
      (c) => `${c.name} (keys: ${Object.keys(c.data).join(', ') || 'none'})`,
    );
    throw new DoctorError('BALLAST_DOCTOR_CONFIGMAP_INVALID', {
      file: label,
      problem: `no ConfigMap has a Corefile key in data: ${names.join('; ')}`,
    });
  }
  return { corefiles, dataFiles };
}

function configMapsIn(doc: unknown): ConfigMapLike[] {
  if (!isRecord(doc)) return [];
  if (doc.kind === 'List' && Array.isArray(doc.items)) return doc.items.flatMap(configMapsIn);
  if (doc.kind !== 'ConfigMap') return [];
  const metadata = isRecord(doc.metadata) ? doc.metadata : {};
  const name = typeof metadata.name === 'string' ? metadata.name : '(unnamed)';
  const namespace = typeof metadata.namespace === 'string' ? `${metadata.namespace}/` : '';
  return [{ name: `${namespace}${name}`, data: isRecord(doc.data) ? doc.data : {} }];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ScalarLocation {
  lineOffset: number;
  columnOffset: number;
}

/** Finds each `Corefile: |` block scalar, so positions can point into the YAML file. */
function locateCorefileScalars(text: string): ScalarLocation[] {
  const lines = text.split('\n');
  const found: ScalarLocation[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)(?:"Corefile"|'Corefile'|Corefile)\s*:\s*[|>][-+0-9]*\s*(#.*)?$/.exec(
      line,
    );
    if (!match) return;
    const keyIndent = match[1]?.length ?? 0;
    const content = lines.slice(index + 1).find((l) => l.trim() !== '');
    const indent = content ? (/^ */.exec(content)?.[0].length ?? 0) : 0;
    if (indent <= keyIndent) return;
    found.push({ lineOffset: index + 1, columnOffset: indent });
  });
  return found;
}

function firstLineMatches(text: string, location: ScalarLocation, corefile: string): boolean {
  const yamlLine = text
    .split('\n')
    .slice(location.lineOffset)
    .find((l) => l.trim() !== '');
  const corefileLine = corefile.split('\n').find((l) => l.trim() !== '');
  return yamlLine?.slice(location.columnOffset).trimEnd() === corefileLine?.trimEnd();
}
