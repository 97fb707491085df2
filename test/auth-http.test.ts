import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { type AuthSetup, basic, startAuthSetup, users } from './support/auth-ballast.ts';
import { httpRequest, metricValue, type RawResponse } from './support/http.ts';
import { isWrite, serverRouteTable } from './support/route-table.ts';

const errorCode = (response: RawResponse) =>
  (JSON.parse(response.body.toString()) as { error: { code: string } }).error.code;
const registryCode = (response: RawResponse) =>
  (JSON.parse(response.body.toString()) as { errors: { code: string }[] }).errors[0]?.code;

/** `key="value"` pairs of a challenge. */
function challengeParams(header: string | undefined): Record<string, string> {
  const params: Record<string, string> = {};
  for (const [, key, value] of (header ?? '').matchAll(/(\w+)="([^"]*)"/g))
    params[key as string] = value as string;
  return params;
}

describe('authentication and access over plain HTTP', () => {
  let setup: AuthSetup;
  let url: string;
  const get = (path: string, authorization?: string) =>
    httpRequest(`${url}${path}`, { headers: authorization ? { authorization } : {} });

  before(async () => {
    setup = await startAuthSetup(await mkdtemp(join(tmpdir(), 'ballast-auth-http-')));
    url = setup.ballast.url;
  });
  after(() => setup?.stop());

  const privatePaths = ['/private/index.yaml', '/private/charts/demo-app-1.0.0.tgz'];

  for (const path of privatePaths) {
    test(`${path}: 401 without credentials, with a Basic challenge`, async () => {
      const response = await get(path);
      assert.equal(response.status, 401);
      assert.match(response.headers['www-authenticate'] ?? '', /^Basic realm="[^"]+"/);
      assert.equal(errorCode(response), 'BALLAST_AUTH_REQUIRED');
    });

    test(`${path}: 401 for a wrong password, an unknown user, an unknown token or a bad header`, async () => {
      for (const authorization of [
        basic('alice', 'wrong'),
        basic('mallory', users.alice),
        'Bearer blst_not-a-token',
        'Basic %%%',
        'Digest username="alice"',
      ]) {
        const response = await get(path, authorization);
        assert.equal(response.status, 401, authorization);
        assert.equal(errorCode(response), 'BALLAST_AUTH_INVALID');
        assert.ok(response.headers['www-authenticate']);
      }
    });

    test(`${path}: 403 for a valid user without read access`, async () => {
      const response = await get(path, basic('bob', users.bob));
      assert.equal(response.status, 403);
      assert.equal(errorCode(response), 'BALLAST_AUTH_DENIED');
      assert.equal(response.headers['www-authenticate'], undefined);
    });

    test(`${path}: 200 for alice (Basic) and for the ci token (Bearer)`, async () => {
      assert.equal((await get(path, basic('alice', users.alice))).status, 200);
      assert.equal((await get(path, `Bearer ${setup.ciToken}`)).status, 200);
    });
  }

  test('the anonymous repo next to the private one needs no credentials', async () => {
    assert.equal((await get('/public/index.yaml')).status, 200);
    assert.equal((await get('/public/charts/demo-app-1.0.0.tgz')).status, 200);
    assert.equal((await get('/v2/public/demo-app/manifests/1.0.0')).status, 200);
  });

  test('/v2/ answers a ping without credentials with a Bearer challenge naming the token endpoint', async () => {
    const response = await get('/v2/');
    assert.equal(response.status, 401);
    const params = challengeParams(response.headers['www-authenticate']);
    assert.match(response.headers['www-authenticate'] ?? '', /^Bearer /);
    assert.equal(params.realm, `${url}/-/token`);
    assert.equal(params.service, new URL(url).host);
    assert.equal(params.scope, undefined);
  });

  test('a private chart over /v2/: challenge with its pull scope, then the token flow', async () => {
    const path = '/v2/private/demo-app/manifests/1.0.0';
    const denied = await get(path);
    assert.equal(denied.status, 401);
    assert.equal(registryCode(denied), 'UNAUTHORIZED');
    const { realm, service, scope } = challengeParams(denied.headers['www-authenticate']);
    assert.equal(scope, 'repository:private/demo-app:pull');

    const tokenUrl = `${realm}?service=${service}&scope=${encodeURIComponent(scope ?? '')}`;
    const issued = await httpRequest(tokenUrl, {
      headers: { authorization: basic('alice', users.alice) },
    });
    assert.equal(issued.status, 200);
    const { token, expires_in } = JSON.parse(issued.body.toString()) as {
      token: string;
      expires_in: number;
    };
    assert.equal(expires_in, 300);
    assert.equal((await get(path, `Bearer ${token}`)).status, 200);
    // The token is for that chart only: another name sends the client back for a new one.
    const other = await get('/v2/private/other/manifests/1.0.0', `Bearer ${token}`);
    assert.equal(other.status, 401);
    // A forged or altered token is refused.
    const altered = `${token.slice(0, -2)}${token.endsWith('A') ? 'B' : 'A'}A`;
    assert.equal((await get(path, `Bearer ${altered}`)).status, 401);
  });

  test('space-separated scopes in one parameter, and a token without scope answers the ping', async () => {
    const scopes = encodeURIComponent(
      'repository:private/demo-app:pull repository:public/demo-app:pull,push',
    );
    const issued = await httpRequest(`${url}/-/token?service=x&scope=${scopes}`, {
      headers: { authorization: `Bearer ${setup.ciToken}` },
    });
    const { token } = JSON.parse(issued.body.toString()) as { token: string };
    assert.equal((await get('/v2/private/demo-app/tags/list', `Bearer ${token}`)).status, 200);
    assert.equal((await get('/v2/public/demo-app/tags/list', `Bearer ${token}`)).status, 200);

    const login = await httpRequest(`${url}/-/token?service=x`, {
      headers: { authorization: basic('bob', users.bob) },
    });
    const ping = await get(
      '/v2/',
      `Bearer ${(JSON.parse(login.body.toString()) as { token: string }).token}`,
    );
    assert.equal(ping.status, 200);
  });

  test('/v2/ with Basic directly; wrong credentials 401, a user without access 403', async () => {
    const path = '/v2/private/demo-app/manifests/1.0.0';
    assert.equal((await get(path, basic('alice', users.alice))).status, 200);
    assert.equal((await get('/v2/', basic('alice', users.alice))).status, 200);
    const wrong = await get(path, basic('alice', 'nope'));
    assert.equal(wrong.status, 401);
    assert.match(wrong.headers['www-authenticate'] ?? '', /^Bearer realm=/);
    const bob = await get(path, basic('bob', users.bob));
    assert.equal(bob.status, 403);
    assert.equal(registryCode(bob), 'DENIED');
    // Bob's token grants nothing in private: 403 as well, not an endless challenge loop.
    const issued = await httpRequest(
      `${url}/-/token?service=x&scope=repository:private/demo-app:pull`,
      { headers: { authorization: basic('bob', users.bob) } },
    );
    const { token } = JSON.parse(issued.body.toString()) as { token: string };
    assert.equal((await get(path, `Bearer ${token}`)).status, 403);
  });

  test('the token endpoint: anonymous tokens grant only anonymous reads; wrong credentials 401', async () => {
    const anonymous = await httpRequest(
      `${url}/-/token?service=x&scope=repository:private/demo-app:pull`,
    );
    assert.equal(anonymous.status, 200);
    const { token } = JSON.parse(anonymous.body.toString()) as { token: string };
    assert.equal((await get('/v2/private/demo-app/tags/list', `Bearer ${token}`)).status, 401);
    const wrong = await httpRequest(`${url}/-/token?service=x`, {
      headers: { authorization: basic('alice', 'nope') },
    });
    assert.equal(wrong.status, 401);
    assert.equal(errorCode(wrong), 'BALLAST_AUTH_INVALID');
    const tooMany = Array.from({ length: 40 }, (_, i) => `repository:public/c${i}:pull`).join(' ');
    const refused = await httpRequest(`${url}/-/token?scope=${encodeURIComponent(tooMany)}`);
    assert.equal(refused.status, 400);
    assert.equal(errorCode(refused), 'BALLAST_AUTH_SCOPE_INVALID');
  });

  test('the catalog lists only the repos the caller may read', async () => {
    const names = async (authorization?: string) =>
      (
        JSON.parse((await get('/v2/_catalog', authorization)).body.toString()) as {
          repositories: string[];
        }
      ).repositories;
    assert.deepEqual(await names(), ['public/demo-app']);
    assert.deepEqual(await names(basic('bob', users.bob)), ['public/demo-app']);
    assert.deepEqual(await names(basic('alice', users.alice)), [
      'private/demo-app',
      'public/demo-app',
    ]);
  });

  test('a token is also taken as the Basic password of its own name, and only of that name', async () => {
    assert.equal((await get('/private/index.yaml', basic('ci', setup.ciToken))).status, 200);
    assert.equal(
      (await get('/v2/private/demo-app/tags/list', basic('ci', setup.ciToken))).status,
      200,
    );
    assert.equal((await get('/private/index.yaml', basic('alice', setup.ciToken))).status, 401);
  });

  test('guessing is slowed per address: a burst of wrong passwords ends in 429, good logins pass', async () => {
    // auth.throttle is 20ms doubling up to 300ms here: a burst soon has no turn left.
    const burst = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        get('/private/index.yaml', basic('alice', `guess-${i}`)),
      ),
    );
    const statuses = burst.map((r) => r.status);
    assert.ok(
      statuses.every((s) => s === 401 || s === 429),
      statuses.join(),
    );
    const throttled = burst.find((r) => r.status === 429);
    assert.ok(throttled, `no 429 among ${statuses.join()}`);
    assert.equal(errorCode(throttled), 'BALLAST_AUTH_THROTTLED');
    // Known good credentials (a token, a password verified before) are not held up.
    assert.equal((await get('/private/index.yaml', `Bearer ${setup.ciToken}`)).status, 200);
    assert.equal((await get('/private/index.yaml', basic('alice', users.alice))).status, 200);
  });

  test('every read route of a repo, in the server route table, turns away callers without credentials on the private repo', async () => {
    const routes = await serverRouteTable();
    const params: Record<string, string> = {
      repo: 'private',
      chart: 'demo-app',
      file: 'demo-app-1.0.0.tgz',
      reference: '1.0.0',
      digest: `sha256:${'0'.repeat(64)}`,
    };
    // Routes that serve no repo's content: ops, the token endpoint, file mirrors, the ping.
    const notRepo = ['/-/healthz', '/-/readyz', '/metrics', '/-/token', '/files/:mirror/*'];
    // Write routes have their own matrix (see the next test); so do pushes, the upload status
    // GET among them (oci-push-routes.test.ts).
    const repoRoutes = routes.filter(
      (r) =>
        !notRepo.includes(r.url) &&
        r.url.includes(':repo') &&
        !isWrite(r) &&
        !r.url.includes('/blobs/uploads/'),
    );
    assert.deepEqual(
      routes.filter((r) => !notRepo.includes(r.url) && !r.url.includes(':repo')).map((r) => r.url),
      ['/v2', '/v2', '/v2/', '/v2/_catalog', '/v2/_catalog'],
      'a new route outside a repo: decide here who may use it',
    );
    assert.ok(repoRoutes.length >= 10);
    for (const route of repoRoutes) {
      const path = route.url.replace(/:(\w+)/g, (_, name: string) => params[name] ?? name);
      const response = await httpRequest(`${url}${path}`, { method: route.method as 'GET' });
      assert.equal(response.status, 401, `${route.method} ${route.url}`);
      assert.ok(response.headers['www-authenticate'], `${route.method} ${route.url}`);
    }
  });

  test('no write route exists that the access matrix does not cover', async () => {
    // Hosted repositories add write routes; each must join a matrix of no, wrong and
    // read-only credentials (0 accepted, store unchanged) before it appears here.
    const routes = (await serverRouteTable()).filter(isWrite);
    const covered = [
      // test/hosted-api.test.ts tries each with no, wrong and read-only credentials.
      'POST /api/:repo/charts',
      'POST /api/:repo/prov',
      'DELETE /api/:repo/charts/:name/:version',
      // /v2/ pushes: oci-push-routes.test.ts enumerates them from the same route table.
      ...routes.filter((r) => r.url.startsWith('/v2/')).map((r) => `${r.method} ${r.url}`),
    ];
    const writes = routes.map((r) => `${r.method} ${r.url}`);
    assert.deepEqual(
      writes.filter((w) => !covered.includes(w)),
      [],
    );
  });

  test('refused credentials are counted and logged with the address, not the secret', async () => {
    assert.ok((await metricValue(url, 'ballast_auth_failures_total', { reason: 'invalid' })) > 0);
    assert.ok((await metricValue(url, 'ballast_auth_failures_total', { reason: 'throttled' })) > 0);
    const failed = setup.ballast.logs().filter((line) => line.event === 'auth:failed');
    assert.ok(failed.length > 0);
    assert.equal(failed[0]?.address, '127.0.0.1');
  });

  test('no password or token reaches the log', () => {
    const log = setup.ballast.process.output();
    for (const secret of [users.alice, users.bob, setup.ciToken, 'alice-Secret', 'blst_'])
      assert.ok(!log.includes(secret), `the log holds ${secret}`);
  });
});
