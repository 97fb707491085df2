import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseWwwAuthenticate } from './www-authenticate.ts';

describe('parseWwwAuthenticate', () => {
  it('reads a registry Bearer challenge whose scope holds commas', () => {
    assert.deepEqual(
      parseWwwAuthenticate(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:org/chart:pull,push"',
      ),
      [
        {
          scheme: 'bearer',
          params: {
            realm: 'https://auth.example.com/token',
            service: 'registry.example.com',
            scope: 'repository:org/chart:pull,push',
          },
        },
      ],
    );
  });

  it('reads several challenges, unquoted values and escapes', () => {
    assert.deepEqual(
      parseWwwAuthenticate(
        'Basic realm="Registry \\"R\\"", Bearer realm=http://x/t, error=invalid_token',
      ),
      [
        { scheme: 'basic', params: { realm: 'Registry "R"' } },
        { scheme: 'bearer', params: { realm: 'http://x/t', error: 'invalid_token' } },
      ],
    );
    assert.deepEqual(parseWwwAuthenticate(undefined), []);
    assert.deepEqual(parseWwwAuthenticate('Negotiate'), [{ scheme: 'negotiate', params: {} }]);
  });
});
