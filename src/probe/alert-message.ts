import type { ProbeSubject } from './probe-targets.ts';
import type { UpstreamHealth } from './upstream-state.ts';

export type AlertEvent =
  | 'upstream.down'
  | 'upstream.degraded'
  | 'upstream.resolved'
  | 'index.refused'
  | 'certificate.expiring'
  | 'index.stale';

/** One alert, whatever the format it is sent in. */
export interface Alert {
  event: AlertEvent;
  subject: ProbeSubject;
  upstream?: string;
  state: UpstreamHealth;
  previous: UpstreamHealth;
  stage?: string;
  code?: string;
  /** When the condition began (ms since the epoch). */
  since: number;
  message: string;
  /** A repeat of an alert already sent (`alerts.repeat`), not a new change. */
  reminder?: boolean;
  certificateExpiresAt?: number;
}

/** The JSON webhook body: stable field names that receivers can route on. */
export function jsonBody(alert: Alert, at: number): Record<string, unknown> {
  const body: Record<string, unknown> = {
    event: alert.event,
    [alert.subject.kind]: alert.subject.name,
    upstream: alert.upstream ?? null,
    state: alert.state,
    previous: alert.previous,
    stage: alert.stage ?? null,
    code: alert.code ?? null,
    since: new Date(alert.since).toISOString(),
    message: alert.message,
    reminder: alert.reminder === true,
    at: new Date(at).toISOString(),
  };
  if (alert.certificateExpiresAt !== undefined)
    body.certificateExpiresAt = new Date(alert.certificateExpiresAt).toISOString();
  return body;
}

const icons: Record<AlertEvent, string> = {
  'upstream.down': ':red_circle:',
  'upstream.degraded': ':large_yellow_circle:',
  'upstream.resolved': ':large_green_circle:',
  'index.refused': ':no_entry:',
  'certificate.expiring': ':hourglass:',
  'index.stale': ':hourglass:',
};

/**
 * A Slack incoming-webhook message: `text` (what notifications show) and one section block
 * with the same words in mrkdwn, plus the details as a context block.
 */
export function slackBody(alert: Alert): Record<string, unknown> {
  const text = `${icons[alert.event]} ${headline(alert)}`;
  const facts = [
    `event \`${alert.event}\``,
    alert.stage ? `stage \`${alert.stage}\`` : undefined,
    alert.code ? `code \`${alert.code}\`` : undefined,
    `since ${new Date(alert.since).toISOString()}`,
  ].filter((fact) => fact !== undefined);
  return {
    text,
    blocks: [
      {
        type: 'section',
        text: { type: 'mrkdwn', text: `${text}\n${escapeMrkdwn(alert.message)}` },
      },
      { type: 'context', elements: [{ type: 'mrkdwn', text: facts.join(' · ') }] },
    ],
  };
}

/** One line a person reads first: what, where, and which way it went. */
export function headline(alert: Alert): string {
  const where = `${alert.subject.kind === 'repo' ? 'repository' : 'file mirror'} ${alert.subject.name}`;
  const upstream = alert.upstream ? `upstream ${alert.upstream} of ${where}` : where;
  const again = alert.reminder ? ' (still)' : '';
  switch (alert.event) {
    case 'upstream.down':
      return `${upstream} is down${again}`;
    case 'upstream.degraded':
      return `${upstream} is degraded${again}`;
    case 'upstream.resolved':
      return `${upstream} is healthy again (was ${alert.previous})`;
    case 'index.refused':
      return `${where}: the guard refused the index of ${alert.upstream ?? 'an upstream'}${again}`;
    case 'certificate.expiring':
      return `${upstream}: certificate expires soon${again}`;
    case 'index.stale':
      return `${where} serves a stale index${again}`;
  }
}

/** Slack reads &, < and > as markup; messages quote upstream text that may hold them. */
function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
