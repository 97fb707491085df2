import yaml from 'js-yaml';
import { readHelmYaml } from './index-yaml-fast.ts';

/**
 * A number where Helm expects text (`appVersion: 1.40`), kept as the upstream wrote it. Helm
 * refuses the whole index over it; Ballast serves the text, and says so.
 */
export class NumberText {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}

/**
 * What go-yaml (YAML 1.1, as Helm reads it) resolves a plain scalar to a number: integers in
 * any base, with `_` separators, floats, infinities and NaN.
 */
const yamlNumber =
  /^(?:[-+]?(?:0b[01_]+|0o?[0-7_]+|0x[0-9a-fA-F_]+|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?)|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const isYamlNumber = (plain: string) => yamlNumber.test(plain);

/**
 * The failsafe schema keeps every scalar as text (Helm reads most fields as strings, and the
 * text must survive: `1.40` is not `1.4`); only plain scalars that YAML would read as numbers
 * are marked, so that a repair can be reported.
 */
const schema = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new yaml.Type('tag:ballast.dev,2026:number-text', {
      kind: 'scalar',
      resolve: (data: unknown) => typeof data === 'string' && isYamlNumber(data),
      construct: (data: string) => new NumberText(data),
    }),
  ],
});

export type IndexFormat = 'json' | 'yaml';

export interface IndexDocument {
  raw: unknown;
  format: IndexFormat;
}

/**
 * Reads an index as Helm does: a body that is valid JSON with `encoding/json`, anything else
 * as YAML. `numberText` re-reads JSON keeping each number's source text.
 */
export function loadIndexDocument(
  text: string,
  source: string,
  options: { numberText?: boolean } = {},
): IndexDocument {
  if (text.trimStart().startsWith('{')) {
    try {
      const raw = options.numberText
        ? JSON.parse(text, (_key, value, context?: { source?: string }) =>
            typeof value === 'number' ? new NumberText(context?.source ?? String(value)) : value,
          )
        : JSON.parse(text);
      return { raw, format: 'json' };
    } catch {
      // Not JSON after all; YAML flow style also starts with `{`.
    }
  }
  const raw =
    readHelmYaml(text, isYamlNumber, (plain) => new NumberText(plain)) ??
    yaml.load(text, { schema, filename: source });
  return { raw, format: 'yaml' };
}
