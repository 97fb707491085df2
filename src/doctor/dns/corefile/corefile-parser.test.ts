import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CorefileSyntaxError } from '../../doctor-errors.ts';
import type { ImportSource } from './corefile-import.ts';
import { parseCorefile } from './corefile-parser.ts';

const parse = (
  text: string,
  extra: { env?: Record<string, string>; imports?: ImportSource } = {},
) => parseCorefile(text, { label: 'Corefile', ...extra });

function syntaxError(text: string, imports?: ImportSource): CorefileSyntaxError {
  try {
    parse(text, { imports });
  } catch (error) {
    assert.ok(
      error instanceof CorefileSyntaxError,
      `expected CorefileSyntaxError, got ${String(error)}`,
    );
    return error;
  }
  assert.fail('expected a syntax error');
}

/** In-memory files for imports, with Go-style globs on file names. */
function memoryImports(files: Record<string, string>): ImportSource {
  return {
    resolve(pattern) {
      const re = new RegExp(
        `^${pattern.replace(/[.+^${}()|\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`,
      );
      return Object.keys(files)
        .filter((f) => re.test(f))
        .sort();
    },
    read: (file) => ({ text: files[file] ?? '', label: file }),
  };
}

describe('parseCorefile', () => {
  it('reads server blocks with several keys, ports, schemes and reverse zones', () => {
    const corefile = parse(`example.org:1053 dns://example.net, tls://secure.example {
  whoami
}
10.0.0.0/23 fd00::/7 {
  errors
}
`);
    const [first, second] = corefile.blocks;
    assert.deepEqual(
      first?.keys.map((k) => [k.transport, k.zones, k.port]),
      [
        ['dns', ['example.org.'], 1053],
        ['dns', ['example.net.'], 53],
        ['tls', ['secure.example.'], 853],
      ],
    );
    assert.deepEqual(second?.keys[0]?.zones, ['0.0.10.in-addr.arpa.', '1.0.10.in-addr.arpa.']);
    assert.deepEqual(second?.keys[1]?.zones, ['c.f.ip6.arpa.', 'd.f.ip6.arpa.']);
  });

  it('keeps directives with arguments, nested blocks, quotes and comments anywhere', () => {
    const corefile = parse(`# leading comment
.:53 { # after the brace
    kubernetes cluster.local in-addr.arpa { # inside
        pods insecure
        fallthrough in-addr.arpa
    }
    template IN A example.org {
        answer "{{ .Name }} 60 IN A 10.0.0.1" # quoted, with braces
    }
    log . "quote \\" inside"
    forward . 1.1.1.1#not-a-comment-start-of-word
}`);
    const [kubernetes, template, log, forward] = corefile.blocks[0]?.directives ?? [];
    assert.deepEqual(kubernetes?.args, ['cluster.local', 'in-addr.arpa']);
    assert.deepEqual(
      kubernetes?.block?.map((d) => [d.name, d.args]),
      [
        ['pods', ['insecure']],
        ['fallthrough', ['in-addr.arpa']],
      ],
    );
    assert.deepEqual(template?.block?.[0]?.args, ['{{ .Name }} 60 IN A 10.0.0.1']);
    assert.deepEqual(log?.args, ['.', 'quote " inside']);
    assert.deepEqual(forward?.args, ['.', '1.1.1.1']);
    assert.deepEqual(forward?.position, { file: 'Corefile', line: 11, column: 5 });
  });

  it('substitutes {$ENV} and {%ENV%} and records unset variables', () => {
    const corefile = parse('.:{$PORT} {\n  forward . {$UPSTREAM} {%OTHER%}\n}\n', {
      env: { PORT: '1053', OTHER: '9.9.9.9' },
    });
    assert.equal(corefile.blocks[0]?.keys[0]?.port, 1053);
    assert.deepEqual(corefile.blocks[0]?.directives[0]?.args, ['.', '', '9.9.9.9']);
    assert.deepEqual(
      corefile.unsetEnv.map((e) => [e.name, e.position.line]),
      [['UPSTREAM', 2]],
    );
  });

  it('expands snippets and file imports, with the positions of the imported text', () => {
    const imports = memoryImports({
      'extra/a.conf': 'log\n',
      'extra/b.conf': 'errors\n',
      'zones.server': 'b.example {\n  whoami\n}\n',
    });
    const corefile = parse(
      '(common) {\n  cache 30\n}\n.:53 {\n  import common\n  import extra/*.conf\n  forward . 1.1.1.1\n}\nimport zones.server\n',
      { imports },
    );
    assert.deepEqual(
      corefile.blocks[0]?.directives.map((d) => d.name),
      ['cache', 'log', 'errors', 'forward'],
    );
    assert.deepEqual(corefile.blocks[0]?.directives[1]?.position, {
      file: 'extra/a.conf',
      line: 1,
      column: 1,
    });
    assert.deepEqual(corefile.blocks[1]?.keys[0]?.zones, ['b.example.']);
    assert.deepEqual(corefile.imported, ['extra/a.conf', 'extra/b.conf', 'zones.server']);
  });

  it('accepts a block without braces and keys on several lines after a comma', () => {
    const braceless = parse('example.org\nwhoami\nlog\n');
    assert.deepEqual(
      braceless.blocks[0]?.directives.map((d) => d.name),
      ['whoami', 'log'],
    );
    const continued = parse('a.example,\n  b.example {\n  whoami\n}\n');
    assert.deepEqual(
      continued.blocks[0]?.keys.map((k) => k.text),
      ['a.example', 'b.example'],
    );
  });

  it('notes a key glued to its brace and still parses the block', () => {
    const corefile = parse('.:53{\n  whoami\n}\n');
    assert.deepEqual(corefile.blocks[0]?.gluedBrace, { file: 'Corefile', line: 1, column: 1 });
    assert.equal(corefile.blocks[0]?.directives[0]?.name, 'whoami');
  });

  it('records __PILLAR__ placeholders where they are', () => {
    const corefile = parse('.:53 {\n  bind __PILLAR__LOCAL__DNS__\n}\n');
    assert.deepEqual(corefile.placeholders, [
      { name: '__PILLAR__LOCAL__DNS__', position: { file: 'Corefile', line: 2, column: 8 } },
    ]);
  });

  it('applies line and column offsets for a Corefile inside YAML', () => {
    const corefile = parseCorefile('.:53 {\n  whoami\n}\n', {
      label: 'cm.yaml',
      lineOffset: 7,
      columnOffset: 4,
    });
    assert.deepEqual(corefile.blocks[0]?.directives[0]?.position, {
      file: 'cm.yaml',
      line: 9,
      column: 7,
    });
  });

  describe('refuses what CoreDNS refuses, with file, line and column', () => {
    const cases: Array<[string, string, number, number, RegExp]> = [
      ['an unterminated block', '.:53 {\n  errors\n', 1, 6, /never closed/],
      [
        'an unterminated nested block',
        '.:53 {\n  forward . 1.1.1.1 {\n    force_tcp\n',
        2,
        21,
        /never closed/,
      ],
      ['an unterminated string', '.:53 {\n  log "abc\n}\n', 2, 7, /quoted string/],
      ['a stray closing brace', '}\n', 1, 1, /unexpected '}'/],
      ['a closing brace on a directive line', '.:53 {\n  whoami }\n', 2, 10, /separate lines/],
      ['a trailing comma at the end', 'a.example,', 1, 1, /another key/],
      ['import without an argument', '.:53 {\n  import\n}\n', 2, 3, /needs a file/],
      ['import with two arguments', '.:53 {\n  import a b\n}\n', 2, 12, /one argument/],
      ['a snippet declared twice', '(a) {\n}\n(a) {\n}\n', 3, 1, /declared twice/],
      [
        'a snippet that imports itself',
        '(a) {\n  import a\n}\n.:53 {\n  import a\n}\n',
        2,
        10,
        /import cycle/,
      ],
      [
        'a missing import file',
        '.:53 {\n  import nothing.conf\n}\n',
        2,
        10,
        /not found|not available/,
      ],
      [
        'a glob with two wildcards',
        '.:53 {\n  import */*.conf\n}\n',
        2,
        10,
        /one wildcard|only in the file name/,
      ],
    ];
    for (const [what, text, line, column, message] of cases) {
      it(what, () => {
        const error = syntaxError(text, memoryImports({}));
        assert.match(error.message, message);
        assert.deepEqual([error.file, error.line, error.column], ['Corefile', line, column]);
        assert.equal(error.code, 'BALLAST_DOCTOR_COREFILE_SYNTAX');
      });
    }
  });

  it('names the chain of an import cycle between files', () => {
    const imports = memoryImports({
      'a.conf': 'import b.conf\n',
      'b.conf': 'errors\nimport a.conf\n',
    });
    const error = syntaxError('.:53 {\n  import a.conf\n}\n', imports);
    assert.match(error.message, /import cycle: Corefile -> a\.conf -> b\.conf -> a\.conf/);
    assert.deepEqual([error.file, error.line], ['b.conf', 2]);
  });

  it('stops imports that multiply beyond the caps', () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 12; i++)
      files[`l${i}.conf`] = `import l${i + 1}.conf\nimport l${i + 1}.conf\n`;
    files['l12.conf'] = 'errors\n';
    const error = syntaxError('.:53 {\n  import l0.conf\n}\n', memoryImports(files));
    assert.match(error.message, /too many file imports/);
  });
});
