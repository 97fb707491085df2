import { atLeast, forwardTargetSince } from '../corefile/coredns-versions.ts';
import { type Directive, describeKeys } from '../corefile/corefile-model.ts';
import {
  blockZones,
  type ClusterDnsAddress,
  isClusterZone,
  matchesClusterDns,
} from '../corefile/corefile-roles.ts';
import {
  bindAddresses,
  type ForwardTarget,
  forwardsOf,
  inZone,
  targetAddress,
} from '../corefile/forward-config.ts';
import { rewriteNameRule } from '../corefile/rewrite-name.ts';
import { normaliseZone } from '../corefile/server-key.ts';
import { type CorefileRule, eachBlock, where } from './lint-rule-kit.ts';

/** Why this CoreDNS release refuses a target, if it does. */
function targetProblem(target: ForwardTarget, version: string): string | undefined {
  if (target.kind === 'invalid') return target.problem;
  if (target.kind !== 'address' && target.kind !== 'hostname') return undefined;
  if (target.transport === 'https' && !atLeast(version, forwardTargetSince.https)) {
    return `DNS over HTTPS arrived in CoreDNS ${forwardTargetSince.https}; ${version} refuses it`;
  }
  if (target.kind === 'hostname' && !atLeast(version, forwardTargetSince.hostname)) {
    return `host names as targets arrived in CoreDNS ${forwardTargetSince.hostname}; ${version} accepts only IP addresses and files`;
  }
  return undefined;
}

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
          // resolv.conf has no port: a node's resolver asks port 53 only, so a block listening
          // elsewhere (OpenShift: 5353) cannot be looped into by it.
          const reachable = block.keys.some((k) => k.port === 53);
          const guarded = block.directives.some((d) => d.name === 'loop') || !reachable;
          if (guarded !== (id === 'forward-resolv-conf')) return [];
          return forwardsOf(block).flatMap((f) =>
            f.targets
              .filter((t) => t.kind === 'file')
              .map(() => ({
                message: !reachable
                  ? `forward ${f.from} ${f.targets.map((t) => t.text).join(' ')} sends queries to whatever the node's resolv.conf names; this block listens on port ${block.keys[0]?.port}, which a resolver reading resolv.conf never asks, so it cannot loop back here`
                  : guarded
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
          ...f.targets.flatMap((t) => {
            const problem = targetProblem(t, ctx.corednsVersion);
            return problem
              ? [
                  {
                    message: `forward target "${t.text}": ${problem}`,
                    position: f.directive.position,
                  },
                ]
              : [];
          }),
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
            if (t.kind !== 'address') return [];
            const own =
              ports.has(t.port) &&
              (binds.length === 0 ? /^(127\.|::1$)/.test(t.host) : binds.includes(t.host));
            // The cluster DNS Service leads back to this CoreDNS; unless a rewrite moved the
            // name to another block, the query meets this forward again.
            const viaService =
              ctx.role === 'cluster-dns' &&
              matchesClusterDns(t.host, t.port, ctx.clusterDns) &&
              !block.directives.some((d) => mayRewriteInto(d, f.from, blockZones(block)));
            if (!own && !viaService) return [];
            return [
              {
                message: own
                  ? `forward ${f.from} to ${targetAddress(t)}, an address this server block listens on: queries loop back to it`
                  : `forward ${f.from} to ${targetAddress(t)}, the cluster DNS Service, which is this CoreDNS: queries come back to this block`,
                position: f.directive.position,
              },
            ];
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
        // In kube-proxy iptables mode NodeLocal binds the cluster DNS IP itself and must
        // forward to the kube-dns-upstream Service instead: anything else would loop.
        if (bindAddresses(block).includes(clusterDns.host)) return [];
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
  {
    id: 'rewrite-cluster-name-leaves',
    check: (ctx) =>
      eachBlock(ctx, (block) => {
        // plugin/rewrite changes the name and the query goes on down the same block's
        // plugins: it is not sent to the block that serves the new name.
        const servesCluster = block.directives.some(
          (d) =>
            d.name === 'kubernetes' &&
            (d.args.length > 0 ? d.args.map(normaliseZone) : blockZones(block)).some((z) =>
              inZone(ctx.clusterDomain, z),
            ),
        );
        if (servesCluster) return [];
        return block.directives.flatMap((d) => {
          if (d.name !== 'rewrite') return [];
          const to = rewriteNameRule(d)?.at(-1);
          if (!to) return [];
          const target = normaliseZone(to.replace(/\{\d+\}/g, 'x'));
          if (!inZone(target, ctx.clusterDomain)) return [];
          const forward = forwardsOf(block).find((f) => inZone(target, f.from));
          if (!forward?.targets.every((t) => leavesCluster(t, ctx.clusterDns))) return [];
          return [
            {
              message: `rewrite (line ${d.position.line}) turns names into ${to.replace(/\.$/, '').replace(/\{\d+\}/g, '*')}, but this block has no kubernetes plugin: the query goes on to forward ${forward.from} ${forward.targets.map((t) => t.text).join(' ')}, which does not know the cluster domain (NXDOMAIN)`,
              position: d.position,
            },
          ];
        });
      }),
  },
];

/** True when a forward target is surely not the cluster DNS (a file, or another known address). */
function leavesCluster(target: ForwardTarget, clusterDns: ClusterDnsAddress | undefined): boolean {
  if (target.kind === 'file') return true;
  if (target.kind !== 'address' || !clusterDns) return false;
  return !matchesClusterDns(target.host, target.port, clusterDns);
}

/** Could this rewrite move names the forward takes elsewhere? Only an exact rule can be ruled out. */
function mayRewriteInto(directive: Directive, from: string, zones: readonly string[]): boolean {
  if (directive.name !== 'rewrite') return false;
  const rule = rewriteNameRule(directive);
  if (!rule) return false;
  const exact = rule.length === 2 || rule[0] === 'exact';
  const name = rule.length === 2 ? rule[0] : rule[1];
  if (!exact || name === undefined) return true;
  const zone = from === '.' ? zones : [from];
  return zone.some((z) => inZone(normaliseZone(name), z));
}
