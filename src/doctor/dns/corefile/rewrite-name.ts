import type { Directive } from './corefile-model.ts';
import { normaliseZone } from './server-key.ts';

/**
 * The `name` rule of a rewrite: `rewrite [continue|stop] name [TYPE] FROM TO` on one line, or
 * `rewrite [continue|stop] { name regex FROM TO … }` with the rule in a block.
 */
export function rewriteNameRule(directive: Directive): string[] | undefined {
  const inline =
    directive.args[0] === 'continue' || directive.args[0] === 'stop'
      ? directive.args.slice(1)
      : directive.args;
  if (inline[0] === 'name') return inline.slice(1);
  const line = directive.block?.find((d) => d.name === 'name');
  return inline.length === 0 && line ? line.args : undefined;
}

/** The match types of a name rule; plugin/rewrite refuses any other. */
export const nameMatchTypes = ['exact', 'prefix', 'suffix', 'substring', 'regex'];

/** Applies a rewrite's `name` rule to `name`, with the match types of plugin/rewrite. */
export function applyRewrite(directive: Directive, name: string): string | undefined {
  const rule = rewriteNameRule(directive);
  if (!rule) return undefined;
  const typed = nameMatchTypes.includes(rule[0] ?? '');
  const mode = typed ? (rule[0] as string) : 'exact';
  const [from, to] = typed ? rule.slice(1) : rule;
  if (from === undefined || to === undefined) return undefined;
  const bare = name.replace(/\.$/, '');
  const f = from.replace(/\.$/, '').toLowerCase();
  const t = to.replace(/\.$/, '');
  let result: string | undefined;
  if (mode === 'exact' && bare === f) result = t;
  if (mode === 'prefix' && bare.startsWith(f)) result = t + bare.slice(f.length);
  if (mode === 'suffix' && bare.endsWith(f)) result = bare.slice(0, bare.length - f.length) + t;
  if (mode === 'substring' && bare.includes(f)) result = bare.replaceAll(f, t);
  if (mode === 'regex') {
    // The pattern sees the name with its trailing dot; {N} in TO is the Nth group.
    const groups = safeRegExp(from)?.exec(name);
    if (groups) result = t.replace(/\{(\d+)\}/g, (_all, n: string) => groups[Number(n)] ?? '');
  }
  return result === undefined ? undefined : normaliseZone(result);
}

export function safeRegExp(pattern: string): RegExp | undefined {
  try {
    return new RegExp(pattern);
  } catch {
    return undefined;
  }
}
