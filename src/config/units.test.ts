import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseDuration, parseRatio, parseSize } from './units.ts';

test('durations read like a person writes them', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('5m'), 300_000);
  assert.equal(parseDuration('1h30m'), 5_400_000);
  assert.equal(parseDuration('24h'), 86_400_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration(250), 250);
  assert.equal(parseDuration('1000'), 1000);
});

test('durations that are not durations are refused', () => {
  for (const bad of ['', 'five minutes', '5 m', '5x', 'm5', '-1s', '1h junk']) {
    assert.equal(parseDuration(bad), undefined, bad);
  }
  assert.equal(parseDuration(-1), undefined);
});

test('sizes accept SI and binary units', () => {
  assert.equal(parseSize('50MiB'), 50 * 1024 * 1024);
  assert.equal(parseSize('64MB'), 64_000_000);
  assert.equal(parseSize('1kib'), 1024);
  assert.equal(parseSize('10'), 10);
  assert.equal(parseSize(2048), 2048);
  assert.equal(parseSize('lots'), undefined);
  assert.equal(parseSize('5XB'), undefined);
});

test('ratios accept percentages and fractions within 0..1', () => {
  assert.equal(parseRatio('10%'), 0.1);
  assert.equal(parseRatio('0.25'), 0.25);
  assert.equal(parseRatio(0.5), 0.5);
  assert.equal(parseRatio('150%'), undefined);
  assert.equal(parseRatio('ten'), undefined);
});
