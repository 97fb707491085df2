import { load } from 'js-yaml';
import { DoctorError } from '../../doctor-errors.ts';
import { type DocumentSkip, splitYamlStream, type YamlDocument } from './yaml-documents.ts';

/** A text taken out of a ConfigMap, with where it sits in the YAML file. */
export interface EmbeddedText {
  text: string;
  configMap: string;
  key: string;
  /** Offsets that turn a line/column inside the text into one in the YAML file. */
  lineOffset: number;
  columnOffset: number;
  /** False when the text could not be located in the YAML (JSON, a folded scalar); lines then count from the text. */
  located: boolean;
}

export interface KubernetesInput {
  /** Every ConfigMap `Corefile` key. */
  corefiles: EmbeddedText[];
  /** Every other ConfigMap key (e.g. coredns-custom's `*.server`): files `import` can find. */
  dataFiles: EmbeddedText[];
  /** Container images of Deployments and DaemonSets, for the CoreDNS release. */
  images: string[];
  /** Documents that could not be read and hold no Corefile. */
  skipped: DocumentSkip[];
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
 * Reads `kubectl get … -o yaml` output or a manifest: YAML documents or a `List`, each
 * document on its own, so a broken Deployment does not hide the ConfigMap next to it.
 */
export function readKubernetesObjects(text: string, label: string): KubernetesInput {
  const result: KubernetesInput = { corefiles: [], dataFiles: [], images: [], skipped: [] };
  let configMaps = 0;
  for (const document of splitYamlStream(text)) {
    const parsed = parseDocument(document, label, result.skipped);
    if (parsed === undefined) continue;
    result.images.push(...imagesIn(parsed));
    const found = configMapsIn(parsed);
    configMaps += found.length;
    const locations = locateBlockScalars(document);
    for (const configMap of found) {
      for (const [key, value] of Object.entries(configMap.data)) {
        if (typeof value !== 'string') continue;
        const place = takeLocation(locations, key, value);
        const embedded: EmbeddedText = {
          text: value,
          configMap: configMap.name,
          key,
          lineOffset: place ? document.lineOffset + place.lineOffset : 0,
          columnOffset: place?.columnOffset ?? 0,
          located: place !== undefined,
        };
        (key === 'Corefile' ? result.corefiles : result.dataFiles).push(embedded);
      }
    }
  }
  if (configMaps === 0) {
    throw new DoctorError('BALLAST_DOCTOR_CONFIGMAP_INVALID', {
      file: label,
      problem: 'holds no ConfigMap (expected kind: ConfigMap or a List of them)',
    });
  }
  return result;
}

/** Parses one document; one that fails is fatal only if it holds a Corefile. */
function parseDocument(
  document: YamlDocument,
  label: string,
  skipped: DocumentSkip[],
): unknown | undefined {
  try {
    return load(document.text);
  } catch (error) {
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error);
    // js-yaml counts lines from the document's start; say where that is in the file.
    const problem = `not valid YAML: ${reason?.replace(
      /\((\d+):(\d+)\)$/,
      (_all, line: string) => `(line ${document.lineOffset + Number(line)})`,
    )}`;
    if (/^\s*["']?Corefile["']?\s*:/m.test(document.text)) {
      throw new DoctorError('BALLAST_DOCTOR_CONFIGMAP_INVALID', {
        file: label,
        problem: `${problem} (document from line ${document.lineOffset + 1})`,
      });
    }
    skipped.push({ line: document.lineOffset + 1, problem });
    // Kubernetes' own decoder keeps the last of duplicate keys; read what it would apply.
    try {
      return load(document.text, { json: true });
    } catch {
      return undefined;
    }
  }
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

/** Images of the containers of Deployments and DaemonSets (also inside a List). */
function imagesIn(doc: unknown): string[] {
  if (!isRecord(doc)) return [];
  if (doc.kind === 'List' && Array.isArray(doc.items)) return doc.items.flatMap(imagesIn);
  if (doc.kind !== 'Deployment' && doc.kind !== 'DaemonSet') return [];
  const spec = pathOf(doc, ['spec', 'template', 'spec']);
  const containers = isRecord(spec) && Array.isArray(spec.containers) ? spec.containers : [];
  return containers.flatMap((c) => (isRecord(c) && typeof c.image === 'string' ? [c.image] : []));
}

function pathOf(value: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (isRecord(node) ? node[key] : undefined), value);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

interface ScalarLocation {
  key: string;
  lineOffset: number;
  columnOffset: number;
  firstLine: string;
  used?: boolean;
}

/** Finds each `key: |` block scalar of a document, so positions can point into the YAML file. */
function locateBlockScalars(document: YamlDocument): ScalarLocation[] {
  const lines = document.text.split('\n');
  const found: ScalarLocation[] = [];
  lines.forEach((line, index) => {
    const match = /^(\s*)("[^"]+"|'[^']+'|[^\s:#][^:#]*?)\s*:\s*[|>][-+0-9]*\s*(#.*)?$/.exec(line);
    if (!match) return;
    const keyIndent = match[1]?.length ?? 0;
    const content = lines.slice(index + 1).find((l) => l.trim() !== '');
    const indent = content ? (/^ */.exec(content)?.[0].length ?? 0) : 0;
    if (!content || indent <= keyIndent) return;
    const key = (match[2] ?? '').replace(/^["']|["']$/g, '');
    found.push({
      key,
      lineOffset: index + 1,
      columnOffset: indent,
      firstLine: content.slice(indent),
    });
  });
  return found;
}

/** The first unused location of `key` whose first line is the value's first line. */
function takeLocation(
  locations: ScalarLocation[],
  key: string,
  value: string,
): ScalarLocation | undefined {
  const firstLine = value
    .split('\n')
    .find((l) => l.trim() !== '')
    ?.trimEnd();
  const location = locations.find(
    (l) => !l.used && l.key === key && l.firstLine.trimEnd() === firstLine,
  );
  if (location) location.used = true;
  return location;
}
