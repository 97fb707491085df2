import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  compareOutcomes,
  describeComparison,
  parseSearchOutput,
  type SearchRow,
} from './compat-rows.ts';
import { doctorMistakes, verdictOf } from './compat-verdict.ts';

const row = (version: string, app = '1.0'): SearchRow => ({
  name: 'r/a',
  version,
  app_version: app,
  description: 'd',
});

test('helm search JSON is read into rows; anything else is an error', () => {
  const stdout = '[{"name":"r/a","version":"1.0.0","app_version":"1.0","description":"d"}]';
  assert.deepEqual(parseSearchOutput(stdout), [row('1.0.0')]);
  assert.throws(() => parseSearchOutput('{"name":"r/a"}'), /no JSON list/);
});

test('rows are compared entry by entry: missing, added, changed, or only reordered', () => {
  const direct = { ok: true as const, rows: [row('2.0.0'), row('1.0.0'), row('0.9.0')] };
  assert.deepEqual(compareOutcomes(direct, direct), { kind: 'same', rows: 3 });
  const through = { ok: true as const, rows: [row('2.0.0'), row('1.0.0', '1.1'), row('3.0.0')] };
  const comparison = compareOutcomes(direct, through);
  assert.equal(comparison.kind, 'rows-differ');
  assert.equal(
    describeComparison(comparison),
    'Ballast lacks r/a 0.9.0; Ballast adds r/a 3.0.0; changed r/a 1.0.0: {"name":"r/a","version":"1.0.0","app_version":"1.0","description":"d"} -> {"name":"r/a","version":"1.0.0","app_version":"1.1","description":"d"}',
  );
  const reordered = { ok: true as const, rows: [...direct.rows].reverse() };
  assert.equal(
    describeComparison(compareOutcomes(direct, reordered)),
    'same rows in another order',
  );
});

test('versions of equal precedence, which Helm orders at random, compare in any order', () => {
  const helmRun1 = [row('1.1.2+2'), row('1.1.2'), row('1.1.2+1'), row('1.0.0')];
  const helmRun2 = [row('1.1.2'), row('1.1.2+1'), row('1.1.2+2'), row('1.0.0')];
  assert.deepEqual(compareOutcomes({ ok: true, rows: helmRun1 }, { ok: true, rows: helmRun2 }), {
    kind: 'same',
    rows: 4,
  });
  const wrongOrder = [row('1.0.0'), row('1.1.2'), row('1.1.2+1'), row('1.1.2+2')];
  assert.equal(
    describeComparison(
      compareOutcomes({ ok: true, rows: helmRun1 }, { ok: true, rows: wrongOrder }),
    ),
    'same rows in another order',
  );
});

test('refusals on either side are told apart', () => {
  const refused = { ok: false as const, error: 'Error: cannot unmarshal number' };
  const listed = { ok: true as const, rows: [row('1.0.0')] };
  assert.deepEqual(compareOutcomes(refused, refused), { kind: 'same', rows: 0 });
  assert.equal(compareOutcomes(refused, listed).kind, 'ballast-reads-refused');
  assert.equal(compareOutcomes(listed, refused).kind, 'ballast-refuses');
});

test('the verdict: equivalent, the documented repair, or different; the doctor is held to Helm', () => {
  const listed = { ok: true as const, rows: [row('1.0.0')] };
  const refused = { ok: false as const, error: 'cannot unmarshal number' };
  const agreeing = {
    helm3: { versions: 1 },
    helm4: { versions: 1 },
    ballast: { versions: 1 },
    findings: [],
  };
  const same = compareOutcomes(listed, listed);
  assert.deepEqual(verdictOf({ 3: same, 4: same }, { 3: listed, 4: listed }, agreeing), {
    kind: 'equivalent',
  });
  const repaired = compareOutcomes(refused, listed);
  const doctorSaysRefused = {
    helm3: { versions: 0, refused: 'number' },
    helm4: { versions: 0, refused: 'number' },
    ballast: { versions: 1 },
    findings: [{ rule: 'index-helm-refuses' }],
  };
  assert.equal(
    verdictOf({ 3: repaired, 4: repaired }, { 3: refused, 4: refused }, doctorSaysRefused).kind,
    'documented',
  );
  assert.deepEqual(doctorMistakes({ 3: listed, 4: refused }, agreeing), [
    'Helm 4 showed refused, the doctor said 1 rows',
  ]);
  assert.equal(
    verdictOf({ 3: same, 4: same }, { 3: listed, 4: refused }, agreeing).kind,
    'different',
  );
  const none = { ok: true as const, rows: [] };
  const guarded = compareOutcomes(none, refused);
  const doctorSaysEmpty = {
    helm3: { versions: 0 },
    helm4: { versions: 0 },
    ballast: { versions: 0, refused: 'empty' },
    findings: [{ rule: 'index-empty' }],
  };
  assert.deepEqual(verdictOf({ 3: guarded, 4: guarded }, { 3: none, 4: none }, doctorSaysEmpty), {
    kind: 'documented',
    reason: "Ballast's guard refuses an index that lists nothing",
  });
  const lost = compareOutcomes(listed, refused);
  assert.equal(
    verdictOf({ 3: lost, 4: lost }, { 3: listed, 4: listed }, agreeing).kind,
    'different',
  );
});
