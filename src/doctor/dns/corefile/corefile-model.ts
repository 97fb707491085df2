import type { SourcePosition } from '../../findings.ts';

export type { SourcePosition };

/** A lexed word of a Corefile, with where it came from and through which imports. */
export interface Token {
  text: string;
  quoted: boolean;
  file: string;
  line: number;
  column: number;
  /** Line on which the token ends (quoted tokens may span lines). */
  endLine: number;
  /** Files and snippets this token was imported through, outermost first, own source last. */
  origin: readonly string[];
}

export interface ServerKey {
  /** The key as written (after environment substitution). */
  text: string;
  transport: string;
  /** Normalised zones, lower case with a trailing dot; a reverse CIDR can give several. */
  zones: string[];
  port: number;
  position: SourcePosition;
  /** Why the key is not valid, if it is not; the block is still kept for other checks. */
  problem?: string;
}

export interface Directive {
  name: string;
  args: string[];
  /** Lines inside `{ … }` after the directive, or null when there is no block. */
  block: Directive[] | null;
  position: SourcePosition;
}

export interface ServerBlock {
  keys: ServerKey[];
  directives: Directive[];
  position: SourcePosition;
  /** Set when a key was written with its `{` glued on (`.:53{`). */
  gluedBrace?: SourcePosition;
}

export interface EnvReference {
  name: string;
  position: SourcePosition;
}

export interface Corefile {
  /** What to call the Corefile in messages (a path, or a ConfigMap). */
  label: string;
  blocks: ServerBlock[];
  /** Environment variables referenced but not set (CoreDNS substitutes an empty string). */
  unsetEnv: EnvReference[];
  /** Placeholders of the NodeLocal DNSCache manifest still present, e.g. __PILLAR__LOCAL__DNS__. */
  placeholders: EnvReference[];
  /** Files pulled in with `import`, in order. */
  imported: string[];
  /** The ConfigMap this Corefile came from, if any (namespace/name). */
  configMap?: string;
}

export function describeKeys(block: ServerBlock): string {
  return block.keys.map((k) => k.text).join(' ');
}
