import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { configDefaults } from '../src/config/defaults.ts';
import { errorCatalogue } from '../src/errors/catalogue.ts';

const read = (path: string) => readFile(new URL(`../${path}`, import.meta.url), 'utf8');

test('every error code is documented in docs/errors.md', async () => {
  const doc = await read('docs/errors.md');
  const missing = Object.keys(errorCatalogue).filter((code) => !doc.includes(`\`${code}\``));
  assert.deepEqual(missing, []);
});

test('every config key with a default is documented in docs/configuration.md', async () => {
  const doc = await read('docs/configuration.md');
  const keys: string[] = [];
  const walk = (value: unknown, path: string) => {
    if (typeof value === 'object' && value !== null) {
      for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key);
    } else {
      keys.push(path.replace(/^repo\./, ''));
    }
  };
  walk(configDefaults, '');
  const missing = keys.filter((key) => !doc.includes(`\`${key}\``));
  assert.deepEqual(missing, []);
});

test('.ci/run runs the test command the README gives', async () => {
  const [readme, ci] = await Promise.all([read('README.md'), read('.ci/run')]);
  assert.match(readme, /```sh\nnpm install\nnpm test\n```/);
  assert.match(ci, /^npm test$/m);
});
