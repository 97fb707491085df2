import { atLeast, optionLives, pluginStatus } from '../corefile/coredns-versions.ts';
import type { Directive } from '../corefile/corefile-model.ts';
import { nameMatchTypes, rewriteNameRule } from '../corefile/rewrite-name.ts';
import { type CorefileRule, eachBlock, type RuleHit } from './lint-rule-kit.ts';

/** Rules about what the chosen CoreDNS release loads: its plugins, their options and values. */
export const versionRules: CorefileRule[] = [
  {
    id: 'plugin-removed',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        block.directives.flatMap((d) => {
          const { kind, life } = pluginStatus(d.name, ctx.corednsVersion);
          if (kind !== 'removed' || !life) return [];
          const instead = life.instead ? `; use ${life.instead}` : '';
          return [
            {
              message: `plugin ${d.name} was removed in CoreDNS ${life.removedIn}: ${ctx.corednsVersion} refuses the Corefile ("Unknown directive")${instead}`,
              position: d.position,
            },
          ];
        }),
      ),
  },
  {
    id: 'plugin-too-new',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        block.directives.flatMap((d) => {
          const { kind, life } = pluginStatus(d.name, ctx.corednsVersion);
          if (kind !== 'not-yet' || !life) return [];
          return [
            {
              message: `plugin ${d.name} arrived in CoreDNS ${life.since}: ${ctx.corednsVersion} refuses the Corefile ("Unknown directive")`,
              position: d.position,
            },
          ];
        }),
      ),
  },
  {
    id: 'plugin-unknown',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        block.directives
          .filter((d) => pluginStatus(d.name, ctx.corednsVersion).kind === 'unknown')
          .map((d) => ({
            message: `${d.name} is not a built-in CoreDNS plugin; stock CoreDNS refuses the Corefile ("Unknown directive")`,
            position: d.position,
          })),
      ),
  },
  ...(['option-removed', 'option-ignored'] as const).map(
    (id): CorefileRule => ({
      id,
      check: (ctx) =>
        eachBlock(ctx, (block) =>
          block.directives.flatMap((d) =>
            (d.block ?? []).flatMap((option): RuleHit[] => {
              const life = optionLives[d.name]?.[option.name];
              if (!life) return [];
              const instead = life.instead ? `; use ${life.instead}` : '';
              const removed = life.removedIn && atLeast(ctx.corednsVersion, life.removedIn);
              if (id === 'option-removed' && removed) {
                return [
                  {
                    message: `${d.name} option ${option.name} was removed in CoreDNS ${life.removedIn}: ${ctx.corednsVersion} refuses the Corefile ("unknown property")${instead}`,
                    position: option.position,
                  },
                ];
              }
              const ignored =
                !removed && life.ignoredSince && atLeast(ctx.corednsVersion, life.ignoredSince);
              if (id === 'option-ignored' && ignored) {
                return [
                  {
                    message: `${d.name} option ${option.name} does nothing since CoreDNS ${life.ignoredSince}${life.removedIn ? ` and is refused from ${life.removedIn}` : ''}${instead}`,
                    position: option.position,
                  },
                ];
              }
              return [];
            }),
          ),
        ),
    }),
  ),
  {
    id: 'plugin-value-refused',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        block.directives.flatMap((d) => {
          if (d.name === 'cache') return cacheProblems(d);
          if (d.name === 'rewrite') return rewriteProblems(d);
          return [];
        }),
      ),
  },
];

/**
 * plugin/cache setup refuses a TTL of zero or less, for the whole cache and for its `success`
 * and `denial` refinements ("cache TTL can not be zero or negative").
 */
function cacheProblems(cache: Directive): RuleHit[] {
  const hits: RuleHit[] = [];
  const refuse = (ttl: string | undefined, where: Directive, what: string) => {
    if (ttl === undefined || !/^[-+]?\d+$/.test(ttl) || Number(ttl) > 0) return;
    hits.push({
      message: `${what} ${ttl}: CoreDNS refuses to start ("cache TTL can not be zero or negative"); to keep answers out of the cache, remove the cache line`,
      position: where.position,
    });
  };
  refuse(cache.args[0], cache, 'cache TTL');
  for (const option of cache.block ?? []) {
    if (option.name === 'success' || option.name === 'denial') {
      refuse(option.args[1], option, `cache ${option.name} TTL`);
    }
  }
  return hits;
}

/**
 * plugin/rewrite (name.go) reads `name FROM TO`, or `name TYPE FROM TO …` where TYPE must be a
 * match type: `rewrite name stop A B` reads `stop` as the type and refuses to start.
 */
function rewriteProblems(rewrite: Directive): RuleHit[] {
  const rule = rewriteNameRule(rewrite);
  if (!rule) return [];
  const problem =
    rule.length < 2
      ? 'a name rule needs FROM and TO'
      : rule.length >= 3 && !nameMatchTypes.includes((rule[0] ?? '').toLowerCase())
        ? `"${rule[0]}" is no match type (${nameMatchTypes.join(', ')})${rule[0] === 'stop' || rule[0] === 'continue' ? `; write rewrite ${rule[0]} name …` : ''}`
        : undefined;
  if (!problem) return [];
  return [
    {
      message: `rewrite name rule: ${problem}; CoreDNS refuses to start`,
      position: rewrite.position,
    },
  ];
}
