import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { splitYamlStream } from './yaml-documents.ts';

describe('splitYamlStream', () => {
  it('splits at document markers and keeps where each document starts', () => {
    const stream =
      '# leading comment\n---\nkind: A\n---\nkind: B\ndata:\n  x: |\n    ---\n...\n--- !tag\nkind: C\n';
    assert.deepEqual(splitYamlStream(stream), [
      { text: 'kind: A', lineOffset: 2 },
      { text: 'kind: B\ndata:\n  x: |\n    ---', lineOffset: 4 },
      { text: '--- !tag\nkind: C\n', lineOffset: 9 },
    ]);
  });

  it('gives one document for a stream without markers, none for comments only', () => {
    assert.deepEqual(splitYamlStream('kind: A\n'), [{ text: 'kind: A\n', lineOffset: 0 }]);
    assert.deepEqual(splitYamlStream('# nothing\n---\n\n'), []);
  });
});
