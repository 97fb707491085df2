import type { WebhookConfig } from '../config/schema.ts';
import { resolveSecretRef } from '../config/secret-ref.ts';
import type { EventBus } from '../observability/events.ts';
import type { Clock } from '../resilience/clock.ts';
import { backoffDelay, defaultRetryPolicy } from '../resilience/retry.ts';
import { redact } from '../upstream/http-client.ts';
import { type Alert, jsonBody, slackBody } from './alert-message.ts';

export interface WebhookDeliveryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  timeoutMs: number;
  maxQueued: number;
  retryStatuses: readonly number[];
}

/** How a webhook message is retried: data, like every other retry policy of Ballast. */
export const webhookDelivery: Readonly<WebhookDeliveryPolicy> = Object.freeze({
  attempts: 6,
  baseDelayMs: 1_000,
  maxDelayMs: 60_000,
  timeoutMs: 10_000,
  /** Messages waiting per webhook; past this the oldest are dropped (and counted as failed). */
  maxQueued: 500,
  /** Statuses worth another attempt; any other 4xx means the receiver will not take it. */
  retryStatuses: Object.freeze([408, 425, 429, 500, 502, 503, 504]),
});

export interface WebhookSender {
  /** Queues the alert and returns at once: delivery never holds up anything else. */
  send(alert: Alert): void;
  /** Resolves when the queue is empty (tests, shutdown). */
  idle(): Promise<void>;
  stop(): void;
}

export interface WebhookSenderOptions {
  webhook: WebhookConfig;
  bus: EventBus;
  clock: Clock;
  env?: NodeJS.ProcessEnv;
  policy?: Partial<WebhookDeliveryPolicy>;
  random?: () => number;
}

/**
 * Delivers alerts to one webhook in order, each retried with exponential backoff and full
 * jitter. Header secrets are read once, here at start, so a missing one stops start-up.
 */
export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  const { webhook, bus, clock } = options;
  const policy = { ...webhookDelivery, ...options.policy };
  const random = options.random ?? Math.random;
  const label = redact(webhook.url);
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  for (const [name, value] of Object.entries(webhook.headers))
    headers[name.toLowerCase()] =
      typeof value === 'string'
        ? value
        : resolveSecretRef(value, `alerts.webhooks.headers.${name}`, options.env);
  const queue: Alert[] = [];
  const stopping = new AbortController();
  let running: Promise<void> | undefined;

  async function deliver(alert: Alert): Promise<void> {
    const body = JSON.stringify(
      webhook.format === 'slack' ? slackBody(alert) : jsonBody(alert, clock.now()),
    );
    let cause = '';
    for (let attempt = 1; attempt <= policy.attempts; attempt++) {
      cause = await postOnce(body);
      if (cause === '') {
        bus.emit('alert:delivered', { webhook: label, event: alert.event, attempts: attempt });
        return;
      }
      if (cause.startsWith('permanent') || attempt === policy.attempts) break;
      const delay = backoffDelay(attempt - 1, { ...defaultRetryPolicy, ...policy }, random);
      try {
        await clock.sleep(delay, stopping.signal);
      } catch {
        break;
      }
    }
    bus.emit('alert:failed', {
      webhook: label,
      event: alert.event,
      attempts: policy.attempts,
      cause,
    });
  }

  /** '' when delivered; otherwise why not, prefixed 'permanent' when retrying is pointless. */
  async function postOnce(body: string): Promise<string> {
    try {
      const response = await fetch(webhook.url, {
        method: 'POST',
        headers,
        body,
        redirect: 'error',
        signal: AbortSignal.any([AbortSignal.timeout(policy.timeoutMs), stopping.signal]),
      });
      await response.body?.cancel();
      if (response.ok) return '';
      const status = `HTTP ${response.status}`;
      return policy.retryStatuses.includes(response.status) ? status : `permanent ${status}`;
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code;
      return cause ?? (error as Error).name ?? 'error';
    }
  }

  async function drain(): Promise<void> {
    for (let alert = queue.shift(); alert; alert = queue.shift()) await deliver(alert);
    running = undefined;
  }

  return {
    send(alert) {
      if (stopping.signal.aborted) return;
      queue.push(alert);
      while (queue.length > policy.maxQueued) {
        const dropped = queue.shift() as Alert;
        bus.emit('alert:failed', {
          webhook: label,
          event: dropped.event,
          attempts: 0,
          cause: 'queue full',
        });
      }
      running ??= drain();
    },
    async idle() {
      while (running) await running;
    },
    stop() {
      stopping.abort();
      queue.length = 0;
    },
  };
}
