import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { CorefileSyntaxError, DoctorError } from '../../doctor-errors.ts';
import { decodeText } from '../../input/read-input.ts';
import { readKubernetesObjects } from '../input/configmap-input.ts';
import type { ImportSource } from './corefile-import.ts';
import { parseCorefile } from './corefile-parser.ts';

/** Pieces that exercise every branch of the grammar when thrown together. */
const piece = fc.constantFrom(
  '{',
  '}',
  '"',
  '\\"',
  '#',
  '\n',
  '\r\n',
  ' ',
  '\t',
  ',',
  'import',
  'a.conf',
  'b.conf',
  '*.conf',
  '(snip)',
  'snip',
  '.:53',
  'example.org:1053',
  'tls://x.example',
  '10.0.0.0/9',
  'fd00::/7',
  'forward',
  '.',
  '1.1.1.1',
  'cache',
  'loop',
  '{$HOME}',
  '{$UNSET_X}',
  '{%P%}',
  '__PILLAR__X__',
  'ä',
  '',
);
const corefileSoup = fc
  .array(fc.oneof(piece, fc.string({ maxLength: 6 })), { maxLength: 80 })
  .map((parts) => parts.join(' '));

/** A tiny import world where files may import each other (and so form cycles). */
const importWorld = fc.dictionary(fc.constantFrom('a.conf', 'b.conf', 'c.conf'), corefileSoup, {
  maxKeys: 3,
});

function sourceOf(files: Record<string, string>): ImportSource {
  return {
    resolve: (pattern) =>
      pattern === '*.conf' ? Object.keys(files).sort() : pattern in files ? [pattern] : [],
    read: (file) => ({ text: files[file] ?? '', label: file }),
  };
}

function onlyOwnErrors(run: () => unknown): boolean {
  try {
    run();
  } catch (error) {
    if (error instanceof CorefileSyntaxError) {
      return (
        Number.isInteger(error.line) && error.line >= 1 && error.column >= 1 && error.file !== ''
      );
    }
    return error instanceof DoctorError;
  }
  return true;
}

describe('parser properties', () => {
  it('never throws anything but CorefileSyntaxError, with a position, on token soup', () => {
    fc.assert(
      fc.property(corefileSoup, importWorld, (text, files) =>
        onlyOwnErrors(() =>
          parseCorefile(text, {
            label: 'Corefile',
            env: { HOME: '/root', P: '53' },
            imports: sourceOf(files),
          }),
        ),
      ),
      { numRuns: 1500 },
    );
  });

  it('never throws anything but its own error type on arbitrary text', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) =>
        onlyOwnErrors(() => parseCorefile(text, { label: 'Corefile' })),
      ),
      { numRuns: 1000 },
    );
  });

  it('rejects arbitrary bytes as text only with DoctorError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) =>
        onlyOwnErrors(() => decodeText(Buffer.from(bytes), 'input')),
      ),
      { numRuns: 1000 },
    );
  });

  it('reads ConfigMap YAML or fails only with DoctorError', () => {
    const yamlish = fc
      .array(
        fc.constantFrom(
          'kind: ConfigMap\n',
          'kind: List\n',
          'items:\n- ',
          'data:\n',
          '  Corefile: |\n',
          '    .:53 {\n',
          '    }\n',
          'a: [',
          '"',
          '---\n',
          'metadata: {name: x}\n',
          '  other: 1\n',
        ),
        { maxLength: 12 },
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(yamlish, fc.string({ maxLength: 100 })), (text) =>
        onlyOwnErrors(() => readKubernetesObjects(text, 'cm.yaml')),
      ),
      { numRuns: 800 },
    );
  });

  it('parses printed Corefiles back to the same structure', () => {
    const word = fc.stringMatching(/^[a-z][a-z0-9_]{0,7}$/);
    const line = fc.record({ name: word, args: fc.array(word, { maxLength: 3 }) });
    const directive = fc.record({
      name: word,
      args: fc.array(word, { maxLength: 3 }),
      block: fc.option(fc.array(line, { maxLength: 3 }), { nil: null }),
    });
    const zone = fc.stringMatching(/^[a-z]{1,8}\.(example|test)$/);
    const block = fc.record({
      keys: fc.uniqueArray(zone, { minLength: 1, maxLength: 3 }),
      directives: fc.array(directive, { maxLength: 5 }),
    });
    fc.assert(
      fc.property(fc.array(block, { maxLength: 4 }), (blocks) => {
        const text = blocks
          .map((b) => {
            const body = b.directives.map((d) => {
              const head = `  ${[d.name, ...d.args].join(' ')}`;
              if (!d.block) return head;
              return `${head} {\n${d.block.map((l) => `    ${[l.name, ...l.args].join(' ')}`).join('\n')}\n  }`;
            });
            return `${b.keys.join(' ')} {\n${body.join('\n')}\n}`;
          })
          .join('\n');
        const parsed = parseCorefile(text, { label: 'Corefile' });
        const plain = (value: unknown) => JSON.parse(JSON.stringify(value));
        assert.deepEqual(
          plain(
            parsed.blocks.map((b) => ({
              keys: b.keys.map((k) => k.text),
              directives: b.directives.map((d) => ({
                name: d.name,
                args: d.args,
                block: d.block?.map((l) => ({ name: l.name, args: l.args })) ?? null,
              })),
            })),
          ),
          plain(blocks),
        );
      }),
      { numRuns: 300 },
    );
  });
});
