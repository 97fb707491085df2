import { CorefileSyntaxError } from '../../doctor-errors.ts';
import { type Finding, finding } from '../../findings.ts';
import type { TextInput } from '../../input/read-input.ts';
import { type PodFile, podPathPrefix } from '../corefile/corefile-import.ts';
import {
  type EmbeddedText,
  looksLikeKubernetesObject,
  readKubernetesObjects,
} from './configmap-input.ts';

export interface PendingCorefile {
  input: TextInput;
  text: string;
  label: string;
  /** Where the Corefile lives: its file, or its path in the CoreDNS pod. */
  path: string;
  lineOffset: number;
  columnOffset: number;
  configMap?: string;
}

/** A ConfigMap key as mounted in the CoreDNS pod, with the input it came from. */
export interface InputPodFile extends PodFile {
  configMap: string;
  input: TextInput;
}

export interface CollectedInputs {
  /** Corefiles to parse: plain files and ConfigMap `Corefile` keys. */
  pending: PendingCorefile[];
  /** Every other ConfigMap key, by pod path (`configmap:NS/NAME/KEY`). */
  podFiles: Map<string, InputPodFile>;
  /** ConfigMaps without a Corefile (coredns-custom), with the label of their input. */
  importOnly: Map<string, string>;
  images: string[];
  notes: Finding[];
}

/** A stream of broken documents gives this many notes, the last one counting the rest. */
const maxSkipNotes = 10;

/** Sorts the --corefile inputs into Corefiles and the ConfigMap keys they may import. */
export function collectCorefiles(texts: readonly TextInput[]): CollectedInputs {
  const pending: PendingCorefile[] = [];
  const podFiles = new Map<string, InputPodFile>();
  const importOnly = new Map<string, string>();
  const images: string[] = [];
  const notes: Finding[] = [];
  for (const input of texts) {
    if (!looksLikeKubernetesObject(input.text)) {
      pending.push({
        input,
        text: input.text,
        label: input.label,
        path: input.path ?? input.label,
        lineOffset: 0,
        columnOffset: 0,
      });
      continue;
    }
    const objects = readKubernetesObjects(input.text, input.label);
    images.push(...objects.images);
    const shown = objects.skipped.slice(0, maxSkipNotes);
    shown.forEach((skip, index) => {
      const more = objects.skipped.length - shown.length;
      const tail =
        index === shown.length - 1 && more > 0 ? ` (and ${more} more such documents)` : '';
      notes.push(
        finding(
          'input-document-skipped',
          `the YAML document at line ${skip.line} is ${skip.problem}; it holds no Corefile, so only what a lenient reading gives (images) is used${tail}`,
          { file: input.label, line: skip.line, column: 1 },
        ),
      );
    });
    const label = (text: EmbeddedText) =>
      text.located ? input.label : `${input.label} (ConfigMap ${text.configMap}, key ${text.key})`;
    for (const file of objects.dataFiles) {
      podFiles.set(`${podPathPrefix}${file.configMap}/${file.key}`, {
        name: file.key,
        text: file.text,
        label: label(file),
        lineOffset: file.lineOffset,
        columnOffset: file.columnOffset,
        configMap: file.configMap,
        input,
      });
      importOnly.set(file.configMap, input.label);
    }
    for (const corefile of objects.corefiles) {
      importOnly.delete(corefile.configMap);
      pending.push({
        input,
        text: corefile.text,
        label: label(corefile),
        path: `${podPathPrefix}${corefile.configMap}/Corefile`,
        lineOffset: corefile.lineOffset,
        columnOffset: corefile.columnOffset,
        configMap: corefile.configMap,
      });
    }
  }
  return { pending, podFiles, importOnly, images, notes };
}

/**
 * A ConfigMap value written without `|` is folded by YAML into one line, which CoreDNS then
 * refuses ("Unexpected '}'"). Say so when the refused text is such a one-line value.
 */
export function withFoldingHint<T>(podFiles: ReadonlyMap<string, PodFile>, parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (!(error instanceof CorefileSyntaxError)) throw error;
    const file = [...podFiles.values()].find((f) => f.label === error.file);
    if (!file || file.text.trim().includes('\n') || !file.text.includes('}')) throw error;
    throw new CorefileSyntaxError(
      { file: error.file, line: error.line, column: error.column },
      `${String(error.details.problem)} (the value is one line: written without \`|\`, YAML folds its lines into one)`,
    );
  }
}
