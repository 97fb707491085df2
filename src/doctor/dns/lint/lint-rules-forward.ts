import { describeKeys } from '../corefile/corefile-model.ts';
import { blockZones, isClusterZone, matchesClusterDns } from '../corefile/corefile-roles.ts';
import { bindAddresses, forwardsOf, inZone, targetAddress } from '../corefile/forward-config.ts';
import { type CorefileRule, eachBlock, where } from './lint-rule-kit.ts';

/** Rules about `forward`: where queries leave a server, and whether they can come back. */
export const forwardRules: CorefileRule[] = [
  {
    id: 'forward-without-cache',
    check: (ctx) =>
      eachBlock(ctx, (block) => {
        const forward = block.directives.find((d) => d.name === 'forward');
        if (!forward || block.directives.some((d) => d.name === 'cache')) return [];
        return [
          {
            message: `server block ${describeKeys(block)} forwards without cache: every query goes upstream`,
            position: forward.position,
          },
        ];
      }),
  },
  ...(['forward-resolv-conf', 'forward-resolv-conf-unguarded'] as const).map(
    (id): CorefileRule => ({
      id,
      check: (ctx) =>
        eachBlock(ctx, (block) => {
          const guarded = block.directives.some((d) => d.name === 'loop');
          if (guarded !== (id === 'forward-resolv-conf')) return [];
          return forwardsOf(block).flatMap((f) =>
            f.targets
              .filter((t) => t.kind === 'file')
              .map(() => ({
                message: guarded
                  ? `forward ${f.from} ${f.targets.map((t) => t.text).join(' ')} sends queries to whatever the node's resolv.conf names; if that is a loopback resolver the loop plugin stops CoreDNS`
                  : `forward ${f.from} to a resolv.conf file without the loop plugin: if the node's resolv.conf points back at this server, queries loop until they time out`,
                position: f.directive.position,
              })),
          );
        }),
    }),
  ),
  {
    id: 'forward-shadowed',
    check: (ctx) =>
      eachBlock(ctx, (block) => {
        const forwards = forwardsOf(block);
        return forwards.flatMap((later, index) => {
          const parent = forwards
            .slice(0, index)
            .find(
              (f) => inZone(later.from, f.from) && !f.except.some((e) => inZone(later.from, e)),
            );
          if (!parent) return [];
          return [
            {
              message: `forward ${later.from} never sees a query: forward ${parent.from} at ${where(parent.directive.position)} comes first and takes them all`,
              position: later.directive.position,
            },
          ];
        });
      }),
  },
  {
    id: 'forward-too-many-targets',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        forwardsOf(block)
          .filter((f) => f.targets.length > 15)
          .map((f) => ({
            message: `forward ${f.from} lists ${f.targets.length} targets; CoreDNS allows 15`,
            position: f.directive.position,
          })),
      ),
  },
  {
    id: 'forward-target-invalid',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        forwardsOf(block).flatMap((f) => [
          ...(f.targets.length === 0
            ? [{ message: `forward ${f.from} has no target`, position: f.directive.position }]
            : []),
          ...f.targets.flatMap((t) =>
            t.kind === 'invalid'
              ? [
                  {
                    message: `forward target "${t.text}": ${t.problem}`,
                    position: f.directive.position,
                  },
                ]
              : [],
          ),
        ]),
      ),
  },
  {
    id: 'forward-self-loop',
    check: (ctx) =>
      eachBlock(ctx, (block) => {
        const binds = bindAddresses(block);
        const ports = new Set(block.keys.map((k) => k.port));
        return forwardsOf(block).flatMap((f) =>
          f.targets.flatMap((t) => {
            if (t.kind !== 'address' || !ports.has(t.port)) return [];
            const own = binds.length === 0 ? /^(127\.|::1$)/.test(t.host) : binds.includes(t.host);
            return own
              ? [
                  {
                    message: `forward ${f.from} to ${targetAddress(t)}, an address this server block listens on: queries loop back to it`,
                    position: f.directive.position,
                  },
                ]
              : [];
          }),
        );
      }),
  },
  {
    id: 'nodelocal-upstream-mismatch',
    check: (ctx) => {
      const clusterDns = ctx.clusterDns;
      if (ctx.role !== 'nodelocal' || !clusterDns) return [];
      return eachBlock(ctx, (block) => {
        if (!blockZones(block).some((z) => isClusterZone(z, ctx.clusterDomain))) return [];
        return forwardsOf(block).flatMap((f) =>
          f.targets.flatMap((t) =>
            t.kind === 'address' && !matchesClusterDns(t.host, t.port, clusterDns)
              ? [
                  {
                    message: `NodeLocal DNSCache forwards ${blockZones(block).join(' ')} to ${targetAddress(t)}, not to the cluster DNS ${clusterDns.host}`,
                    position: f.directive.position,
                  },
                ]
              : [],
          ),
        );
      });
    },
  },
  {
    id: 'stub-single-server',
    check: (ctx) =>
      eachBlock(ctx, (block) =>
        forwardsOf(block).flatMap((f) => {
          const zone = f.from === '.' ? blockZones(block)[0] : f.from;
          if (!zone || zone === '.' || isClusterZone(zone, ctx.clusterDomain)) return [];
          const addresses = f.targets.filter((t) => t.kind === 'address');
          const only = addresses[0];
          if (f.targets.length !== 1 || !only) return [];
          if (matchesClusterDns(only.host, only.port, ctx.clusterDns)) return [];
          return [
            {
              message: `stub zone ${zone} forwards to a single server ${targetAddress(only)}; when it stops answering, every name in the zone fails`,
              position: f.directive.position,
            },
          ];
        }),
      ),
  },
];
