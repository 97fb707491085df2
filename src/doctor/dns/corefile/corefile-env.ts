import type { EnvReference, SourcePosition } from './corefile-model.ts';

export type Environment = Readonly<Record<string, string | undefined>>;

/**
 * Replaces `{$NAME}` and `{%NAME%}` as CoreDNS does; an unset variable becomes the empty
 * string, which is how a forgotten variable silently empties a forward target. Unset names
 * are reported through `unset`.
 */
export function substituteEnv(
  text: string,
  env: Environment,
  position: SourcePosition,
  unset: EnvReference[],
): string {
  if (!text.includes('{$') && !text.includes('{%')) return text;
  const replace = (_whole: string, name: string) => {
    const value = env[name];
    if (value === undefined) unset.push({ name, position });
    return value ?? '';
  };
  return text.replace(/\{%([^%{}]+)%\}/g, replace).replace(/\{\$([^{}]+)\}/g, replace);
}

const placeholderPattern = /__PILLAR__[A-Z0-9_]*__/g;

/** Placeholders of the NodeLocal DNSCache manifest, e.g. `__PILLAR__LOCAL__DNS__`. */
export function findPlaceholders(text: string): string[] {
  return text.match(placeholderPattern) ?? [];
}
