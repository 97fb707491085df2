import type { Config } from '../config/schema.ts';
import type { BallastEvents, EventBus } from '../observability/events.ts';
import type { Alert, AlertEvent } from './alert-message.ts';
import type { UpstreamHealth } from './upstream-state.ts';

export interface AlerterOptions {
  alerts: Config['alerts'];
  bus: EventBus;
  /** Where alerts go: one sender per webhook. */
  send: (alert: Alert) => void;
  now?: () => number;
  /** The probed state of a repository's upstream, named by its (redacted) URL. */
  stateOf?: (repo: string, upstream: string) => UpstreamHealth | undefined;
}

/** The event a state change is announced as: a certificate running out is its own event. */
export function eventForChange(change: BallastEvents['probe:state-changed']): AlertEvent {
  if (change.state === 'healthy') return 'upstream.resolved';
  if (change.state === 'down') return 'upstream.down';
  return change.code === 'upstream-tls-expiring' ? 'certificate.expiring' : 'upstream.degraded';
}

/**
 * Turns events into alerts: one per state change, a reminder at most every `alerts.repeat`
 * while a problem lasts, a resolved message when it is over; guard refusals and indexes
 * left unconfirmed past `alerts.staleFor` on their own. Returns the unsubscribe function.
 */
export function createAlerter(options: AlerterOptions): () => void {
  const { alerts, bus, send } = options;
  const now = options.now ?? Date.now;
  /** Problems announced and not yet over, by subject and upstream: the last alert and when. */
  const open = new Map<string, { alert: Alert; sentAt: number }>();
  const keyOf = (kind: string, name: string, upstream = '') =>
    `${kind}\u0000${name}\u0000${upstream}`;

  const announce = (key: string, alert: Alert) => {
    open.set(key, { alert, sentAt: now() });
    send(alert);
  };
  const remindIfDue = (key: string) => {
    const last = open.get(key);
    if (!last || now() - last.sentAt < alerts.repeat) return false;
    announce(key, { ...last.alert, reminder: true });
    return true;
  };

  /** An upstream confirmed the index: refusals and staleness of the repository are over. */
  const closeRepo = (repo: string) => {
    for (const key of open.keys())
      if (key.startsWith(keyOf('guard', repo, '')) || key === keyOf('stale', repo))
        open.delete(key);
  };

  const offs = [
    bus.on('probe:state-changed', (change) => {
      const key = keyOf(change.subject.kind, change.subject.name, change.upstream);
      const alert: Alert = {
        event: eventForChange(change),
        subject: change.subject,
        upstream: change.upstream,
        state: change.state,
        previous: change.previous,
        since: change.since,
        message: change.message ?? `the upstream answers every probe again`,
        ...(change.stage ? { stage: change.stage } : {}),
        ...(change.code ? { code: change.code } : {}),
      };
      if (change.state === 'healthy') {
        open.delete(key);
        send(alert);
      } else announce(key, alert);
    }),
    bus.on('probe:finished', (probe) => {
      if (probe.state !== 'healthy')
        remindIfDue(keyOf(probe.subject.kind, probe.subject.name, probe.upstream));
    }),
    bus.on('guard:refused', (refusal) => {
      const key = keyOf('guard', refusal.repo, refusal.upstream);
      // One refusal per revalidation would be one message every `refresh`: announce once, remind.
      if (open.has(key)) {
        remindIfDue(key);
        return;
      }
      const state = options.stateOf?.(refusal.repo, refusal.upstream) ?? 'healthy';
      announce(key, {
        event: 'index.refused',
        subject: { kind: 'repo', name: refusal.repo },
        upstream: refusal.upstream,
        state,
        previous: state,
        stage: 'payload',
        code: `guard-${refusal.reason}`,
        since: now(),
        message: refusal.message,
      });
    }),
    bus.on('index:updated', ({ repo }) => closeRepo(repo)),
    bus.on('index:unchanged', ({ repo }) => closeRepo(repo)),
    // Emitted by every failed revalidation, whether a client asked or the index watch did.
    bus.on('index:stale', ({ repo, ageMs, code, message }) => {
      if (ageMs < alerts.staleFor) return;
      const key = keyOf('stale', repo);
      if (open.has(key)) {
        remindIfDue(key);
        return;
      }
      announce(key, {
        event: 'index.stale',
        subject: { kind: 'repo', name: repo },
        state: 'degraded',
        previous: 'healthy',
        code,
        since: now() - ageMs,
        message: `the index of ${repo} was last confirmed by an upstream ${Math.round(ageMs / 60_000)} minutes ago; every upstream failed since (${message})`,
      });
    }),
  ];
  return () => {
    for (const off of offs) off();
  };
}
