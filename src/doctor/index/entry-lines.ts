/**
 * The line of each entry's `version:` in an index as people write and `helm repo index`
 * writes it (block or flow YAML, or JSON one field a line), found in one pass over the text. The
 * parser keeps no positions, and the doctor only needs them for the entries it reports.
 * Undefined where the layout is one it cannot follow.
 */
export function entryLines(
  text: string,
  entries: readonly { chart: string; version: string }[],
): (number | undefined)[] {
  const lines = text.split('\n');
  if (lines.length <= 2) return entries.map(() => 1);
  const first = new Map<string, number>();
  let chartIndent = -1;
  let chart = '';
  let inEntries = false;
  lines.forEach((line, i) => {
    const key = /^(\s*)"?([^"\s:#-][^":]*?)"?\s*:\s*[[{]?\s*$/.exec(line);
    if (key) {
      const indent = (key[1] as string).length;
      if (key[2] === 'entries') {
        inEntries = true;
        chartIndent = -1;
        return;
      }
      if (inEntries && (chartIndent === -1 || indent === chartIndent)) {
        chartIndent = indent;
        chart = key[2] as string;
        return;
      }
      if (inEntries && indent < chartIndent) inEntries = false;
    }
    const version = /(?:^|[\s{,])"?version"?\s*:\s*["']?([^"',\s}]+)/i.exec(line);
    if (version && inEntries) {
      const id = `${chart}\n${version[1]}`;
      if (!first.has(id)) first.set(id, i + 1);
    }
  });
  return entries.map((e) => first.get(`${e.chart}\n${e.version}`));
}
