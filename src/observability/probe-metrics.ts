import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import type { EventBus } from './events.ts';

/**
 * Metrics of upstream probes and alert delivery, fed by their events: what
 * deploy/helm/ballast/files/ballast-rules.yaml alerts on.
 */
export function registerProbeMetrics(registry: Registry, bus: EventBus): void {
  const registers = [registry];
  const labelNames = ['kind', 'name', 'upstream'] as const;
  const up = new Gauge({
    name: 'ballast_upstream_up',
    help: 'Whether the last probes found the upstream usable: 1 healthy or degraded, 0 down.',
    labelNames,
    registers,
  });
  const state = new Gauge({
    name: 'ballast_upstream_state',
    help: 'The state of an upstream after its last probe: 1 for the current state, 0 for the others.',
    labelNames: [...labelNames, 'state'],
    registers,
  });
  const probes = new Counter({
    name: 'ballast_probes_total',
    help: 'Probes of upstreams, by what each one saw (healthy, degraded, down).',
    labelNames: [...labelNames, 'observed'],
    registers,
  });
  const stageDuration = new Histogram({
    name: 'ballast_probe_stage_duration_seconds',
    help: 'Time each probe stage (dns, tcp, tls, http, payload) took.',
    labelNames: ['upstream', 'stage'],
    buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const certificateExpiry = new Gauge({
    name: 'ballast_upstream_certificate_expiry_timestamp_seconds',
    help: "When the upstream's TLS certificate expires (Unix time).",
    labelNames,
    registers,
  });
  const alerts = new Counter({
    name: 'ballast_alerts_total',
    help: 'Webhook messages, by event and outcome (delivered, or failed after every retry).',
    labelNames: ['webhook', 'event', 'outcome'],
    registers,
  });

  bus.on('probe:finished', (probe) => {
    const labels = { kind: probe.subject.kind, name: probe.subject.name, upstream: probe.upstream };
    up.set(labels, probe.state === 'down' ? 0 : 1);
    for (const each of ['healthy', 'degraded', 'down'])
      state.set({ ...labels, state: each }, probe.state === each ? 1 : 0);
    probes.inc({ ...labels, observed: probe.observed });
    for (const stage of probe.stages) {
      if (stage.status === 'skipped') continue;
      stageDuration.observe(
        { upstream: probe.upstream, stage: stage.stage },
        stage.durationMs / 1000,
      );
    }
    if (probe.certificateExpiresAt !== undefined)
      certificateExpiry.set(labels, Math.floor(probe.certificateExpiresAt / 1000));
  });
  bus.on('alert:delivered', ({ webhook, event }) =>
    alerts.inc({ webhook, event, outcome: 'delivered' }),
  );
  bus.on('alert:failed', ({ webhook, event }) => alerts.inc({ webhook, event, outcome: 'failed' }));
}
