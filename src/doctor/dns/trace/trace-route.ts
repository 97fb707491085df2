import type { SourcePosition } from '../../findings.ts';
import type { Corefile, Directive, ServerBlock } from '../corefile/corefile-model.ts';
import { describeKeys } from '../corefile/corefile-model.ts';
import { blockZones } from '../corefile/corefile-roles.ts';
import {
  bindAddresses,
  type ForwardConfig,
  inZone,
  parseForward,
} from '../corefile/forward-config.ts';
import { pluginRank } from '../corefile/plugin-catalogue.ts';
import { applyRewrite, safeRegExp } from '../corefile/rewrite-name.ts';
import { normaliseZone } from '../corefile/server-key.ts';
import { judgeKubernetesName } from './kubernetes-names.ts';

/** Where a query ends inside one CoreDNS server. */
export type RouteDecision =
  | { kind: 'answer'; plugin: Directive; outcome: 'nxdomain' | 'maybe' | 'answer'; detail: string }
  | { kind: 'forward'; plugin: Directive; forward: ForwardConfig; detail: string }
  | { kind: 'servfail'; detail: string }
  | { kind: 'refused'; detail: string };

export interface Route {
  block?: ServerBlock;
  /** The name after `rewrite` rules, if any changed it. */
  name: string;
  notes: string[];
  decision: RouteDecision;
}

export interface RouteRequest {
  name: string;
  type: 'A' | 'AAAA';
  port: number;
  /** The address the query was sent to, to honour `bind`; undefined matches any block. */
  listenAddress?: string;
}

/** Picks the server block with the longest matching zone, as CoreDNS does. */
export function selectBlock(corefile: Corefile, request: RouteRequest): ServerBlock | undefined {
  let best: { block: ServerBlock; length: number } | undefined;
  for (const block of corefile.blocks) {
    if (!listensOn(block, request.listenAddress)) continue;
    for (const key of block.keys) {
      if (key.transport !== 'dns' || key.port !== request.port) continue;
      for (const zone of key.zones) {
        if (!inZone(request.name, zone)) continue;
        const length = zone === '.' ? 0 : zone.length;
        if (!best || length > best.length) best = { block, length };
      }
    }
  }
  return best?.block;
}

function listensOn(block: ServerBlock, address: string | undefined): boolean {
  const binds = bindAddresses(block);
  if (!address || binds.length === 0) return true;
  return binds.some((b) => b === address || b.includes('__PILLAR__'));
}

/** Follows a query through the plugins of the matching block, in CoreDNS's plugin order. */
export function routeQuery(corefile: Corefile, request: RouteRequest): Route {
  const block = selectBlock(corefile, request);
  const notes: string[] = [];
  if (!block) {
    return {
      name: request.name,
      notes,
      decision: {
        kind: 'refused',
        detail: `no server block serves ${request.name} on port ${request.port}: REFUSED`,
      },
    };
  }
  let name = request.name;
  const ordered = [...block.directives].sort((a, b) => pluginRank(a.name) - pluginRank(b.name));
  for (const directive of ordered) {
    if (directive.name === 'rewrite') {
      const rewritten = applyRewrite(directive, name);
      if (rewritten && rewritten !== name) {
        notes.push(`rewrite (line ${directive.position.line}) turns ${name} into ${rewritten}`);
        name = rewritten;
      }
      continue;
    }
    if (directive.name === 'cache')
      notes.push(`cache (line ${directive.position.line}) may answer from earlier replies`);
    const decision = decide(directive, block, name, request.type);
    if (decision) return { block, name, notes, decision };
  }
  return {
    block,
    name,
    notes,
    decision: {
      kind: 'servfail',
      detail: `no plugin in ${describeKeys(block)} answers ${name}: SERVFAIL`,
    },
  };
}

function pluginZones(args: string[], block: ServerBlock): string[] {
  const zones = args
    .filter((a) => !a.startsWith('/') && a !== '{')
    .map((a) => normaliseZone(a.replace(/:\d+$/, '')));
  return zones.length > 0 ? zones : blockZones(block);
}

function fallsThrough(directive: Directive, name: string): boolean {
  const line = directive.block?.find((d) => d.name === 'fallthrough');
  if (!line) return false;
  return line.args.length === 0 || line.args.some((z) => inZone(name, normaliseZone(z)));
}

function decide(
  directive: Directive,
  block: ServerBlock,
  name: string,
  type: string,
): RouteDecision | undefined {
  const answer = (outcome: 'nxdomain' | 'maybe' | 'answer', detail: string): RouteDecision => ({
    kind: 'answer',
    plugin: directive,
    outcome,
    detail,
  });
  switch (directive.name) {
    case 'forward': {
      const forward = parseForward(directive);
      if (!inZone(name, forward.from) || forward.except.some((e) => inZone(name, e)))
        return undefined;
      const via = forward.forceTcp
        ? 'TCP (force_tcp)'
        : forward.preferUdp
          ? 'UDP (prefer_udp)'
          : 'UDP, TCP on truncation';
      const targets = forward.targets.map((t) => t.text).join(' ');
      return {
        kind: 'forward',
        plugin: directive,
        forward,
        detail: `forward ${forward.from} over ${via} to ${targets}`,
      };
    }
    case 'kubernetes': {
      const zones = pluginZones(directive.args, block);
      const zone = zones.filter((z) => inZone(name, z)).sort((a, b) => b.length - a.length)[0];
      if (!zone) return undefined;
      const verdict = judgeKubernetesName(name, zone);
      if (verdict.outcome === 'nxdomain' && fallsThrough(directive, name)) return undefined;
      return answer(verdict.outcome, `kubernetes (${zone}): ${verdict.detail}`);
    }
    case 'hosts': {
      const [file, ...rest] = directive.args;
      const zones = pluginZones(rest, block);
      if (!zones.some((z) => inZone(name, z))) return undefined;
      const inline = (directive.block ?? []).find(
        (d) => /^[\d.:a-f]+$/i.test(d.name) && d.args.some((h) => normaliseZone(h) === name),
      );
      if (inline) {
        const family = inline.name.includes(':') ? 'AAAA' : 'A';
        return answer(
          'answer',
          family === type
            ? `hosts: ${name} is ${inline.name}`
            : `hosts: ${name} has no ${type} record (NODATA)`,
        );
      }
      if (fallsThrough(directive, name)) return undefined;
      return answer(
        'maybe',
        `hosts: answers if ${file ?? '/etc/hosts'} lists ${name}, else NXDOMAIN`,
      );
    }
    case 'template': {
      const [, qtype = 'ANY', ...zoneArgs] = directive.args;
      if (qtype !== 'ANY' && qtype !== type) return undefined;
      if (!pluginZones(zoneArgs, block).some((z) => inZone(name, z))) return undefined;
      const patterns = (directive.block ?? [])
        .filter((d) => d.name === 'match')
        .flatMap((d) => d.args);
      if (patterns.length > 0 && !patterns.some((p) => safeRegExp(p)?.test(name))) {
        return fallsThrough(directive, name)
          ? undefined
          : answer('nxdomain', 'template: no match, NXDOMAIN');
      }
      return answer('answer', `template (line ${directive.position.line}) answers`);
    }
    case 'file':
    case 'auto':
    case 'secondary': {
      const zones = pluginZones(
        directive.name === 'file' ? directive.args.slice(1) : directive.args,
        block,
      );
      if (!zones.some((z) => inZone(name, z))) return undefined;
      return answer('maybe', `${directive.name}: answers authoritatively from its zone data`);
    }
    case 'etcd':
    case 'route53':
    case 'azure':
    case 'clouddns':
    case 'k8s_external':
    case 'nomad': {
      const zones = pluginZones(directive.name === 'route53' ? [] : directive.args, block);
      if (!zones.some((z) => inZone(name, z))) return undefined;
      if (fallsThrough(directive, name)) return undefined;
      return answer('maybe', `${directive.name}: answers from its backend`);
    }
    case 'local':
      return name === 'localhost.' || name.startsWith('localhost.')
        ? answer('answer', 'local: answers localhost')
        : undefined;
    case 'grpc':
      return answer('maybe', `grpc: forwards to ${directive.args.slice(1).join(' ')}`);
    case 'erratic':
    case 'whoami':
      return answer('answer', `${directive.name} answers every query`);
    default:
      return undefined;
  }
}

export type { SourcePosition };
