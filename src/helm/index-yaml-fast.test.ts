import assert from 'node:assert/strict';
import { test } from 'node:test';
import yaml from 'js-yaml';
import { readHelmYaml } from './index-yaml-fast.ts';

const numberPattern = /^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?$/;
class Num {
  readonly text: string;
  constructor(text: string) {
    this.text = text;
  }
}
const schema = yaml.FAILSAFE_SCHEMA.extend({
  implicit: [
    new yaml.Type('tag:test,2026:num', {
      kind: 'scalar',
      resolve: (data: unknown) => typeof data === 'string' && numberPattern.test(data),
      construct: (data: string) => new Num(data),
    }),
  ],
});
const fast = (text: string) =>
  readHelmYaml(
    text,
    (plain) => numberPattern.test(plain),
    (plain) => new Num(plain),
  );
const reference = (text: string) => yaml.load(text, { schema });

/** Texts in the form the fast reader takes: it must read each exactly as js-yaml does. */
const supported: Record<string, string> = {
  'helm repo index output': `apiVersion: v1
entries:
  nginx:
  - apiVersion: v2
    appVersion: 1.25.0
    created: "2025-01-01T00:00:00.123456789Z"
    description: A web server
    digest: 616958816bb90538b08cf0214b76ee67e8ee937f418d49bec18167715555ff82
    keywords: []
    maintainers:
    - email: a@example.com
      name: A
    name: nginx
    urls:
    - https://example.com/nginx-1.0.0.tgz
    version: 1.0.0
generated: "2025-01-01T00:00:00Z"
`,
  'indented sequences, comments and blank lines': `# a comment
---
apiVersion: v1

entries:
    demo:
        # versions
        -   name: demo
            version: 0.1.0
            urls:
                - demo-0.1.0.tgz
            annotations: {}
`,
  'numbers, nulls and YAML 1.1 words stay text or are marked': `a: 1.40
b: 010
c: true
d: ~
e:
f: null
g: 1.0.0
h: -1
`,
  'wrapped plain, single- and double-quoted descriptions': `x:
  description: Kubernetes tooling which handles the provisioning and management
    of things, wrapped by the writer

    after an empty line
  single: 'Let''s Encrypt, wrapped
    over two lines'
  double: "tab\\there \\u00e9 \\U0001F41B and an escaped \\
    line break, then a folded
    one"
`,
  'literal blocks with each chomping': `a: |
  line one
    indented
  
  after empty

b: |-
  stripped
c: |+
  kept

d: x
`,
  'sequence of sequences and empty items': `a:
- - x
  - y
-
- z
`,
  'colons inside plain scalars': `url: https://example.com:8443/charts
time: 12:30
key:with:colons: value
`,
};

for (const [name, text] of Object.entries(supported)) {
  test(`the fast reader reads ${name} exactly as js-yaml does`, () => {
    const read = fast(text);
    assert.notEqual(read, undefined, 'it must take this text, not give up');
    assert.deepEqual(read, reference(text));
  });
}

/** Texts outside the fast form: it gives up and js-yaml decides (or refuses). */
const outside: Record<string, string> = {
  'an anchor and alias': 'a: &x 1\nb: *x\n',
  'a tag': 'a: !!str 1\n',
  'a flow mapping with content': 'a: {b: c}\n',
  'a folded block': 'a: >\n  folded\n',
  'a comment after a value': 'a: b # note\n',
  'a duplicate key': 'a: 1\na: 2\n',
  'a quoted key': '"a": b\n',
  'CRLF line ends': 'a: b\r\nc: d\r\n',
  'a tab in indentation': 'a:\n\tb: c\n',
  'a second document': 'a: b\n---\nc: d\n',
  'a control character': 'a: b\u0001\n',
  'a top-level sequence': '- a\n',
  'a mapping value on a value line': 'a: b: c\n',
  'an unterminated quote': 'a: "b\n',
  'an unknown escape': 'a: "\\q"\n',
  'a comment line inside a wrapped plain scalar': 'a: b\n  # c\n  d\n',
};

for (const [name, text] of Object.entries(outside)) {
  test(`the fast reader gives up on ${name}`, () => {
    assert.equal(fast(text), undefined);
  });
}

test('a document with __proto__ as a key is left to js-yaml', () => {
  assert.equal(fast('__proto__: x\n'), undefined);
});
