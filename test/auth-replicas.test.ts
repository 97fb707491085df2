import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { hashToken } from './support/auth-ballast.ts';
import { type BallastProcess, startBallastProcess } from './support/ballast.ts';
import { httpRequest } from './support/http.ts';

async function tokenFrom(ballast: BallastProcess, ciToken: string): Promise<string> {
  const response = await httpRequest(`${ballast.url}/-/token?service=ballast`, {
    headers: { authorization: `Bearer ${ciToken}` },
  });
  assert.equal(response.status, 200);
  return (JSON.parse(response.body.toString()) as { token: string }).token;
}

test('replicas sharing auth.tokenKey accept each other registry tokens; with their own keys they do not', async () => {
  const ci = await hashToken('ci');
  const key = randomBytes(48).toString('base64');
  const start = (shared: boolean) =>
    startBallastProcess(
      { auth: { tokens: [ci.entry], ...(shared ? { tokenKey: { env: 'TOKEN_KEY' } } : {}) } },
      { env: { TOKEN_KEY: key } },
    );
  const started = await Promise.allSettled([start(true), start(true), start(false), start(false)]);
  const replicas = started.flatMap((r) => (r.status === 'fulfilled' ? [r.value] : []));
  try {
    const failed = started.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [a, b, c, d] = replicas as [
      BallastProcess,
      BallastProcess,
      BallastProcess,
      BallastProcess,
    ];
    const ping = async (on: BallastProcess, token: string) =>
      (await httpRequest(`${on.url}/v2/`, { headers: { authorization: `Bearer ${token}` } }))
        .status;
    const fromA = await tokenFrom(a, ci.token);
    assert.equal(await ping(b, fromA), 200);
    assert.equal(await ping(a, fromA), 200);
    const fromC = await tokenFrom(c, ci.token);
    assert.equal(await ping(c, fromC), 200);
    assert.equal(await ping(d, fromC), 401);
    assert.ok(
      c.logs().some((line) => /shared auth\.tokenKey/.test(String(line.msg))),
      'a replica with its own key says so at start',
    );
    assert.ok(!a.process.output().includes(key), 'the key is not logged');
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
  }
});
