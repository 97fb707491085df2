import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { StageResult } from '../doctor/upstream/stage-result.ts';
import { initialStatus, nextStatus, observe, type ProbeObservation } from './upstream-state.ts';

const stage = (
  name: StageResult['stage'],
  status: StageResult['status'],
  rule?: string,
): StageResult => ({
  stage: name,
  status,
  summary: name,
  details: [],
  durationMs: 1,
  findings: rule
    ? [
        {
          rule: rule as never,
          severity: status === 'fail' ? 'error' : 'warning',
          message: `${rule}!`,
          fix: '',
        },
      ]
    : [],
});

test('a failed stage means down, a warning degraded, and the first such stage names the cause', () => {
  assert.deepEqual(observe([stage('dns', 'ok'), stage('tcp', 'ok')], 5), {
    at: 5,
    health: 'healthy',
  });
  assert.deepEqual(
    observe(
      [
        stage('dns', 'ok'),
        stage('tls', 'warn', 'upstream-tls-expiring'),
        stage('http', 'fail', 'upstream-http-status'),
      ],
      5,
    ),
    {
      at: 5,
      health: 'down',
      stage: 'http',
      code: 'upstream-http-status',
      message: 'upstream-http-status!',
    },
  );
  assert.equal(observe([stage('tls', 'warn', 'upstream-tls-expiring')], 5).health, 'degraded');
});

test('one failed probe does not flip an upstream; two in a row do, and two good ones bring it back', () => {
  const down = (at: number): ProbeObservation => ({
    at,
    health: 'down',
    stage: 'dns',
    code: 'upstream-dns-failed',
  });
  const good = (at: number): ProbeObservation => ({ at, health: 'healthy' });
  let status = initialStatus(0);
  let step = nextStatus(status, down(1));
  assert.equal(step.changed, false);
  assert.equal(step.status.state, 'healthy');
  step = nextStatus(step.status, good(2));
  step = nextStatus(step.status, down(3));
  assert.equal(step.status.state, 'healthy', 'the count starts again after a good probe');
  step = nextStatus(step.status, down(4));
  assert.deepEqual(
    [step.changed, step.status.state, step.status.since, step.status.code],
    [true, 'down', 4, 'upstream-dns-failed'],
  );
  status = step.status;
  step = nextStatus(status, good(5));
  assert.equal(step.status.state, 'down');
  step = nextStatus(step.status, good(6));
  assert.deepEqual(
    [step.changed, step.status.state, step.status.since, step.status.code],
    [true, 'healthy', 6, undefined],
  );
});
