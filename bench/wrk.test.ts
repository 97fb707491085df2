import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseWrkSummary, runWrk } from './wrk.ts';

const output = `Running 1s test @ http://127.0.0.1:8080/x
  1 threads and 4 connections
Requests/sec:   1906.57
WRK_SUMMARY {"requests":2000,"durationUs":2000000,"bytes":4000000,"errors":{"connect":0,"read":0,"write":0,"status":0,"timeout":0},"latencyUs":{"mean":2142.2,"p50":1972,"p90":2692,"p99":8529,"max":20085}}
`;

test('reads the summary line of wrk-summary.lua', () => {
  const result = parseWrkSummary(output);
  assert.equal(result.requests, 2000);
  assert.equal(result.durationSec, 2);
  assert.equal(result.requestsPerSec, 1000);
  assert.equal(result.bytesPerSec, 2_000_000);
  assert.equal(result.bytesPerResponse, 2000);
  assert.deepEqual(result.latencyMs, {
    mean: 2.142,
    p50: 1.972,
    p90: 2.692,
    p99: 8.529,
    max: 20.085,
  });
});

test('says so when wrk printed no summary', () => {
  assert.throws(() => parseWrkSummary('unable to connect\n'), /no summary line/);
});

test('refuses targets off the loopback', async () => {
  const load = { durationSec: 1, connections: 1, threads: 1 };
  await assert.rejects(runWrk({ ...load, url: 'http://example.invalid/' }), /only loopback/);
});
