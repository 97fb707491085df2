import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startWebhookReceiver } from '../../test/support/webhook-receiver.ts';
import { isBallastError } from '../errors/ballast-error.ts';
import { createEventBus } from '../observability/events.ts';
import { createSystemClock } from '../resilience/clock.ts';
import type { Alert } from './alert-message.ts';
import { createWebhookSender } from './webhook-sender.ts';

const alert: Alert = {
  event: 'upstream.down',
  subject: { kind: 'file', name: 'helm' },
  upstream: 'https://get.helm.sh',
  state: 'down',
  previous: 'healthy',
  stage: 'dns',
  code: 'upstream-dns-failed',
  since: Date.parse('2026-01-01T00:00:00Z'),
  message: 'get.helm.sh does not resolve',
};

test('retries a failing webhook with backoff, then delivers once; gives up on a refusal', async () => {
  const receiver = await startWebhookReceiver();
  const bus = createEventBus();
  const outcomes: string[] = [];
  bus.on('alert:delivered', (e) => outcomes.push(`delivered after ${e.attempts}`));
  bus.on('alert:failed', (e) => outcomes.push(`failed: ${e.cause}`));
  try {
    const sender = createWebhookSender({
      webhook: { url: `${receiver.url}/hook`, format: 'json', headers: { 'X-Team': 'platform' } },
      bus,
      clock: createSystemClock(),
      policy: { baseDelayMs: 5, maxDelayMs: 20 },
    });
    receiver.failNext(503, 500);
    sender.send(alert);
    await sender.idle();
    receiver.failNext(400);
    sender.send({ ...alert, event: 'upstream.resolved', state: 'healthy', previous: 'down' });
    await sender.idle();
    assert.deepEqual(outcomes, ['delivered after 3', 'failed: permanent HTTP 400']);
    assert.equal(receiver.messages.length, 1);
    const [message] = receiver.messages;
    assert.equal(message?.headers['x-team'], 'platform');
    assert.deepEqual(message?.body, {
      event: 'upstream.down',
      file: 'helm',
      upstream: 'https://get.helm.sh',
      state: 'down',
      previous: 'healthy',
      stage: 'dns',
      code: 'upstream-dns-failed',
      since: '2026-01-01T00:00:00.000Z',
      message: 'get.helm.sh does not resolve',
      reminder: false,
      at: message?.body.at,
    });
  } finally {
    await receiver.stop();
  }
});

test('a header secret that is not there stops start-up with the key named', () => {
  assert.throws(
    () =>
      createWebhookSender({
        webhook: {
          url: 'http://127.0.0.1:9/',
          format: 'json',
          headers: { Authorization: { env: 'BALLAST_TEST_UNSET_TOKEN' } },
        },
        bus: createEventBus(),
        clock: createSystemClock(),
        env: {},
      }),
    (error) =>
      isBallastError(error, 'BALLAST_CONFIG_INVALID') &&
      /alerts\.webhooks\.headers\.Authorization.*BALLAST_TEST_UNSET_TOKEN/.test(error.message),
  );
});
