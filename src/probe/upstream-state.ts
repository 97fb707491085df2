import type { StageResult } from '../doctor/upstream/stage-result.ts';

export type UpstreamHealth = 'healthy' | 'degraded' | 'down';

/** What one probe found: the state it points to, and the first stage that says why. */
export interface ProbeObservation {
  at: number;
  health: UpstreamHealth;
  stage?: StageResult['stage'];
  /** The doctor rule that failed or warned (docs/doctor.md), e.g. `upstream-dns-failed`. */
  code?: string;
  message?: string;
}

/** The state people and alerts see, changed only after the same finding repeats. */
export interface UpstreamStatus {
  state: UpstreamHealth;
  /** When the upstream entered this state (ms since the epoch). */
  since: number;
  stage?: StageResult['stage'];
  code?: string;
  message?: string;
  /** A different state seen by the last probes, not yet confirmed. */
  pending?: { health: UpstreamHealth; count: number };
}

/**
 * Hysteresis as data: one failed probe (a dropped packet, a restart upstream) does not flip
 * an upstream, nor does one good answer in the middle of an outage.
 */
export const probeStatePolicy = Object.freeze({
  /** Consecutive probes that must agree before an upstream gets worse. */
  probesToWorsen: 2,
  /** Consecutive probes that must agree before it gets better. */
  probesToRecover: 2,
});

const rank: Record<UpstreamHealth, number> = { healthy: 0, degraded: 1, down: 2 };

/** The state a probe points to: a failed stage means down, a warning degraded. */
export function observe(stages: readonly StageResult[], at: number): ProbeObservation {
  const failed = stages.find((s) => s.status === 'fail');
  const warned = stages.find((s) => s.status === 'warn');
  const stage = failed ?? warned;
  if (!stage) return { at, health: 'healthy' };
  const severity = failed ? 'error' : 'warning';
  const finding = stage.findings.find((f) => f.severity === severity) ?? stage.findings[0];
  return {
    at,
    health: failed ? 'down' : 'degraded',
    stage: stage.stage,
    code: finding?.rule ?? `${stage.stage}-${stage.status}`,
    message: finding?.message ?? stage.summary,
  };
}

export function initialStatus(now: number): UpstreamStatus {
  return { state: 'healthy', since: now };
}

/** The next status after an observation; `changed` when the state itself moved. */
export function nextStatus(
  status: UpstreamStatus,
  seen: ProbeObservation,
  policy = probeStatePolicy,
): { status: UpstreamStatus; changed: boolean } {
  if (seen.health === status.state) {
    // Same state: the reason may have moved on (DNS back, index still 404): keep it current.
    return {
      status: withReason({ state: status.state, since: status.since }, seen),
      changed: false,
    };
  }
  const count = status.pending?.health === seen.health ? status.pending.count + 1 : 1;
  const needed =
    rank[seen.health] > rank[status.state] ? policy.probesToWorsen : policy.probesToRecover;
  if (count < needed) {
    return { status: { ...status, pending: { health: seen.health, count } }, changed: false };
  }
  return { status: withReason({ state: seen.health, since: seen.at }, seen), changed: true };
}

function withReason(status: UpstreamStatus, seen: ProbeObservation): UpstreamStatus {
  if (seen.health === 'healthy') return status;
  const result = { ...status };
  if (seen.stage) result.stage = seen.stage;
  if (seen.code) result.code = seen.code;
  if (seen.message) result.message = seen.message;
  return result;
}
