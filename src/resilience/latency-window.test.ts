import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLatencyWindow, createLatencyWindows } from './latency-window.ts';

describe('latency window', () => {
  it('gives nearest-rank percentiles of what it holds', () => {
    const window = createLatencyWindow(100);
    assert.equal(window.percentile(95), undefined);
    for (let ms = 1; ms <= 100; ms++) window.record(ms);
    assert.equal(window.percentile(95), 95);
    assert.equal(window.percentile(50), 50);
    assert.equal(window.percentile(100), 100);
    assert.equal(window.percentile(0.1), 1);
  });

  it('keeps only the most recent samples', () => {
    const window = createLatencyWindow(4);
    for (const ms of [1_000, 1_000, 1_000, 1_000, 10, 20, 30]) window.record(ms);
    assert.equal(window.size, 4);
    assert.equal(window.percentile(100), 1_000);
    window.record(40);
    assert.equal(window.percentile(100), 40);
    assert.equal(window.percentile(25), 10);
  });

  it('ignores impossible samples and refuses a bad capacity', () => {
    const window = createLatencyWindow(3);
    window.record(Number.NaN);
    window.record(-1);
    window.record(Number.POSITIVE_INFINITY);
    assert.equal(window.size, 0);
    assert.throws(() => createLatencyWindow(0), RangeError);
  });

  it('keeps one window per upstream', () => {
    const windows = createLatencyWindows(5);
    windows.get('a').record(10);
    assert.equal(windows.get('a').size, 1);
    assert.equal(windows.get('b').size, 0);
  });
});
