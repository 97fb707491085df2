import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { createLogger } from './logger.ts';

test('credentials in logged objects are redacted', () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  const logger = createLogger({ level: 'info', stream: sink });
  logger.info(
    {
      req: {
        headers: { authorization: 'Basic YWxpY2U6c2VjcmV0', 'proxy-authorization': 'Bearer p' },
      },
      headers: { authorization: 'Bearer blst_abc' },
      password: 'hunter2',
      answer: { token: 'blrt.x.y', access_token: 'blrt.x.y' },
      auth: { tokenKey: 'k'.repeat(32) },
    },
    'request',
  );
  const line = lines.join('');
  for (const secret of ['YWxpY2U6c2VjcmV0', 'Bearer p', 'blst_abc', 'hunter2', 'blrt.x.y', 'kkkk'])
    assert.ok(!line.includes(secret), `${secret} in ${line}`);
  assert.match(line, /\[redacted\]/);
});
