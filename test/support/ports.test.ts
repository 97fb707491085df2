import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { test } from 'node:test';
import { freePort, withFreePort } from './ports.ts';

test('freePort hands out distinct ports that can be bound on 127.0.0.1', async () => {
  const ports = await Promise.all([freePort(), freePort(), freePort()]);
  assert.equal(new Set(ports).size, 3);
  for (const port of ports) {
    const server = createServer().listen(port, '127.0.0.1');
    await once(server, 'listening');
    server.close();
  }
});

test('withFreePort tries another port when the peer finds its port taken', async () => {
  const tried: number[] = [];
  const result = await withFreePort(async (port) => {
    tried.push(port);
    if (tried.length < 3)
      throw new Error('bind() to 127.0.0.1 failed (98: Address already in use)');
    return port;
  });
  assert.equal(tried.length, 3);
  assert.equal(result, tried[2]);
});

test('withFreePort gives up after its attempts, and at once on other errors', async () => {
  let calls = 0;
  const clash = async () => {
    calls++;
    throw Object.assign(new Error('listen EADDRINUSE'), { code: 'EADDRINUSE' });
  };
  await assert.rejects(withFreePort(clash, 2), /EADDRINUSE/);
  assert.equal(calls, 2);
  await assert.rejects(
    withFreePort(async () => {
      calls++;
      throw new Error('bad config');
    }),
    /bad config/,
  );
  assert.equal(calls, 3);
});
