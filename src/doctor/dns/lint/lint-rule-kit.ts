import type { SourcePosition } from '../../findings.ts';
import type { RuleId } from '../../rule-catalogue.ts';
import type { Corefile, ServerBlock } from '../corefile/corefile-model.ts';
import type { ClusterDnsAddress, CorefileRole } from '../corefile/corefile-roles.ts';

export interface CorefileContext {
  corefile: Corefile;
  role: CorefileRole;
  clusterDns?: ClusterDnsAddress;
  clusterDomain: string;
  /** The CoreDNS release the Corefile is judged against (`1.11.3`). */
  corednsVersion: string;
}

export interface RuleHit {
  message: string;
  position?: SourcePosition;
}

/** A lint rule as data: its catalogue ID and the check that finds it. */
export interface CorefileRule {
  id: RuleId;
  check(context: CorefileContext): RuleHit[];
}

export const where = (p: SourcePosition) => `${p.file}:${p.line}`;
export const eachBlock = (ctx: CorefileContext, f: (b: ServerBlock) => RuleHit[]) =>
  ctx.corefile.blocks.flatMap(f);
