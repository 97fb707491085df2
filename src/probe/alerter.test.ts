import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createEventBus } from '../observability/events.ts';
import type { Alert } from './alert-message.ts';
import { createAlerter } from './alerter.ts';

const hour = 3_600_000;
const subject = { kind: 'repo' as const, name: 'stable' };
const upstream = 'https://charts.example/';

function setup() {
  const bus = createEventBus();
  const sent: Alert[] = [];
  let clock = 0;
  createAlerter({
    alerts: { webhooks: [], repeat: 4 * hour, certExpiry: 14 * 24 * hour, staleFor: hour },
    bus,
    send: (alert) => sent.push(alert),
    now: () => clock,
  });
  const probe = (state: 'healthy' | 'down') =>
    bus.emit('probe:finished', {
      subject,
      upstream,
      observed: state,
      state,
      since: 0,
      stages: [],
    });
  return { bus, sent, probe, advance: (ms: number) => (clock += ms) };
}

test('a lasting outage: one alert, reminders at most every alerts.repeat, one resolved', () => {
  const { bus, sent, probe, advance } = setup();
  bus.emit('probe:state-changed', {
    subject,
    upstream,
    state: 'down',
    previous: 'healthy',
    since: 0,
    stage: 'dns',
    code: 'upstream-dns-failed',
  });
  for (let minute = 1; minute <= 9 * 60; minute++) {
    advance(60_000);
    probe('down');
  }
  bus.emit('probe:state-changed', {
    subject,
    upstream,
    state: 'healthy',
    previous: 'down',
    since: 9 * hour,
  });
  assert.deepEqual(
    sent.map((a) => [a.event, a.reminder === true]),
    [
      ['upstream.down', false],
      ['upstream.down', true],
      ['upstream.down', true],
      ['upstream.resolved', false],
    ],
  );
});

test('guard refusals and a stale index are announced once until an index is taken again', () => {
  const { bus, sent, advance } = setup();
  const refuse = () =>
    bus.emit('guard:refused', {
      repo: 'stable',
      upstream,
      reason: 'shrunk',
      message: 'lists 10, down from 100',
    });
  refuse();
  refuse();
  const stale = (ageMs: number) =>
    bus.emit('index:stale', {
      repo: 'stable',
      ageMs,
      code: 'BALLAST_UPSTREAM_UNREACHABLE',
      message: 'connection refused',
    });
  stale(hour / 2);
  stale(2 * hour);
  stale(2 * hour);
  advance(60_000);
  bus.emit('index:updated', { repo: 'stable', upstream, versions: 100, bytes: 1 });
  refuse();
  assert.deepEqual(
    sent.map((a) => [a.event, a.code ?? null]),
    [
      ['index.refused', 'guard-shrunk'],
      ['index.stale', 'BALLAST_UPSTREAM_UNREACHABLE'],
      ['index.refused', 'guard-shrunk'],
    ],
  );
});
