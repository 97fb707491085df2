import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { ruleCatalogue, ruleIds } from '../src/doctor/rule-catalogue.ts';
import { errorCatalogue } from '../src/errors/catalogue.ts';

const doc = readFileSync(new URL('../docs/doctor.md', import.meta.url), 'utf8');

/** Table rows as trimmed cells, keyed by the first cell (the formatter pads tables). */
const rows = new Map(
  doc
    .split('\n')
    .filter((line) => line.startsWith('|'))
    .map((line) =>
      line
        .split(/(?<!\\)\|/)
        .slice(1, -1)
        .map((cell) => cell.trim()),
    )
    .map((cells) => [cells[0] ?? '', cells] as const),
);

describe('docs/doctor.md', () => {
  it('documents every finding ID with its severity and fix', () => {
    for (const id of ruleIds) {
      const row = rows.get(`\`${id}\``);
      assert.ok(row, `${id} is not documented`);
      const { severity, fix } = ruleCatalogue[id];
      // Notes are what the catalogue calls `info`.
      assert.equal(row[1], severity === 'info' ? 'note' : severity, `${id}: severity`);
      assert.equal(row[3], fix, `${id}: fix differs from the catalogue`);
    }
  });

  it('documents no finding ID that does not exist', () => {
    const documented = [...rows.keys()]
      .filter((key) => /^`[a-z0-9-]+`$/.test(key))
      .map((key) => key.slice(1, -1));
    assert.deepEqual(
      documented.filter((id) => !ruleIds.includes(id as never)),
      [],
    );
  });

  it('documents every error code', () => {
    for (const code of Object.keys(errorCatalogue).filter((c) => c.startsWith('BALLAST_DOCTOR_')))
      assert.ok(doc.includes(`\`${code}\``), `${code} is not documented`);
  });
});
