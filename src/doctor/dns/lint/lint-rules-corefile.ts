import type { SourcePosition } from '../../findings.ts';
import { describeKeys } from '../corefile/corefile-model.ts';
import { bindAddresses } from '../corefile/forward-config.ts';
import { oncePerBlock } from '../corefile/plugin-catalogue.ts';
import { type CorefileRule, eachBlock, type RuleHit, where } from './lint-rule-kit.ts';

/**
 * Rules about server blocks, plugins and placeholders. Forward rules are in lint-rules-forward.ts,
 * what a CoreDNS release accepts in lint-rules-version.ts.
 */
/** Placeholders node-cache substitutes itself when it starts. */
const runtimePlaceholders = new Set(['__PILLAR__CLUSTER__DNS__', '__PILLAR__UPSTREAM__SERVERS__']);

export const corefileRules: CorefileRule[] = [
  {
    id: 'plugin-duplicate',
    check: (ctx) =>
      eachBlock(ctx, (block) => {
        const first = new Map<string, SourcePosition>();
        const hits: RuleHit[] = [];
        for (const d of block.directives) {
          if (!oncePerBlock.has(d.name)) continue;
          const earlier = first.get(d.name);
          if (earlier) {
            hits.push({
              message: `\`${d.name}\` appears twice in server block ${describeKeys(block)} (first at ${where(earlier)}); CoreDNS allows it once per block`,
              position: d.position,
            });
          } else first.set(d.name, d.position);
        }
        return hits;
      }),
  },
  {
    id: 'zone-duplicate',
    check: (ctx) => {
      const seen = new Map<string, { position: SourcePosition; binds: string[] }>();
      const hits: RuleHit[] = [];
      for (const block of ctx.corefile.blocks) {
        if (block.directives.some((d) => d.name === 'view')) continue;
        const binds = bindAddresses(block);
        for (const key of block.keys) {
          for (const zone of key.zones) {
            const id = `${key.transport}://${zone}:${key.port}`;
            const earlier = seen.get(id);
            const overlap =
              earlier &&
              (earlier.binds.length === 0 ||
                binds.length === 0 ||
                binds.some((b) => earlier.binds.includes(b)));
            if (earlier && overlap) {
              hits.push({
                message: `${id} is defined twice (first at ${where(earlier.position)}); CoreDNS refuses to start`,
                position: key.position,
              });
            } else if (!earlier) seen.set(id, { position: key.position, binds });
          }
        }
      }
      return hits;
    },
  },
  {
    id: 'key-brace-no-space',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        block.gluedBrace
          ? [
              {
                message: `server block key ${describeKeys(block)}{ has no space before '{'; CoreDNS reads the brace as part of the zone`,
                position: block.gluedBrace,
              },
            ]
          : [],
      ),
  },
  {
    id: 'server-key-invalid',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        block.keys
          .filter((k) => k.problem)
          .map((k) => ({
            message: `server block key ${k.text}: ${k.problem}`,
            position: k.position,
          })),
      ),
  },
  ...(['pillar-placeholder', 'pillar-placeholder-runtime'] as const).map(
    (id): CorefileRule => ({
      id,
      check: (ctx) =>
        ctx.corefile.placeholders
          .filter((p) => runtimePlaceholders.has(p.name) === (id === 'pillar-placeholder-runtime'))
          .map((p) => ({
            message:
              id === 'pillar-placeholder'
                ? `${p.name} was never replaced: CoreDNS gets the placeholder text instead of an address or domain`
                : `${p.name} is left for node-cache to fill in at start`,
            position: p.position,
          })),
    }),
  ),
  {
    id: 'env-unset',
    check: (ctx) =>
      ctx.corefile.unsetEnv.map((e) => ({
        message: `environment variable ${e.name} is not set here; CoreDNS would read an empty string`,
        position: e.position,
      })),
  },
];
