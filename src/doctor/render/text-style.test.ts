import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { finding } from '../findings.ts';
import { createTextStyle, renderFindings, stripColour, table, wantsColour } from './text-style.ts';

describe('text output', () => {
  it('colours a terminal unless NO_COLOR, and a pipe only with FORCE_COLOR', () => {
    assert.equal(wantsColour(true, {}), true);
    assert.equal(wantsColour(true, { NO_COLOR: '1' }), false);
    assert.equal(wantsColour(false, {}), false);
    assert.equal(wantsColour(undefined, { FORCE_COLOR: '1' }), true);
    assert.equal(wantsColour(true, { FORCE_COLOR: '0' }), true);
  });
  it('aligns columns, ignoring colour codes', () => {
    const style = createTextStyle(true);
    assert.deepEqual(
      table([
        [style.bad('a'), 'x'],
        ['long', 'y'],
      ]).map((l) => stripColour(l)),
      ['  a     x', '  long  y'],
    );
  });
  it('puts severity, rule and place on one line, then message and fix', () => {
    const lines = renderFindings(
      [finding('plugin-duplicate', 'loop twice', { file: 'Corefile', line: 3, column: 5 })],
      createTextStyle(false),
    );
    assert.deepEqual(lines, [
      'error    plugin-duplicate  Corefile:3:5',
      '         loop twice',
      '         fix: Keep one line of this plugin per server block; CoreDNS refuses to start otherwise.',
    ]);
  });
});
