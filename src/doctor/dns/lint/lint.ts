import { dedupeFindings, type Finding, finding } from '../../findings.ts';
import type { RuleId } from '../../rule-catalogue.ts';
import type { CorefileContext } from './lint-rule-kit.ts';
import { corefileRules } from './lint-rules-corefile.ts';
import { forwardRules } from './lint-rules-forward.ts';
import { type ResolvContext, resolvRules } from './lint-rules-resolv.ts';
import { versionRules } from './lint-rules-version.ts';

/** Runs every Corefile rule over one Corefile. */
export function lintCorefile(context: CorefileContext): Finding[] {
  return dedupeFindings(
    [...corefileRules, ...versionRules, ...forwardRules].flatMap((rule) =>
      rule.check(context).map((hit) => finding(rule.id, hit.message, hit.position)),
    ),
  );
}

/** Runs the resolv.conf rules (all, or those named) over one pod resolv.conf. */
export function lintResolvConf(context: ResolvContext, only?: readonly RuleId[]): Finding[] {
  return dedupeFindings(
    resolvRules
      .filter((rule) => !only || only.includes(rule.id))
      .flatMap((rule) =>
        rule.check(context).map((hit) => finding(rule.id, hit.message, hit.position)),
      ),
  );
}
