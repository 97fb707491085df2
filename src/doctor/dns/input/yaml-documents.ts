/** One document of a YAML stream and the line it starts on (0-based) in the file. */
export interface YamlDocument {
  text: string;
  lineOffset: number;
}

/** A document the doctor could not read and left out, said as a note. */
export interface DocumentSkip {
  /** 1-based line where the document starts. */
  line: number;
  problem: string;
}

/**
 * Splits a YAML stream at its `---` document markers. A marker is only ever at column 0, where
 * a ConfigMap's indented block scalars cannot put one, so splitting by line is exact for
 * manifests and lets each document fail on its own.
 */
export function splitYamlStream(text: string): YamlDocument[] {
  const lines = text.split('\n');
  const documents: YamlDocument[] = [];
  let start = 0;
  const flush = (end: number) => {
    const body = lines.slice(start, end);
    if (body.some((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))) {
      documents.push({ text: body.join('\n'), lineOffset: start });
    }
  };
  lines.forEach((line, index) => {
    if (/^---(\s|$)/.test(line) || /^\.\.\.\s*$/.test(line)) {
      flush(index);
      // A marker with content after it (`--- !tag`) starts the next document itself.
      start = /^(---|\.\.\.)\s*$/.test(line) ? index + 1 : index;
    }
  });
  flush(lines.length);
  return documents;
}
